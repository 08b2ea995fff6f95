# expect-path: nodes.web.configuration.environment.etc."ssh/ssh_host_ed25519_key"
# expect: is a private key
# expect: secrets
# expect-line: 13
# why: a host key given as an /etc file goes through the Nix store, which every user of
#      the deploying machine and of the host can read. NixOS accepts it; nixmesh refuses
#      it on every kind of host and points to the node's secrets.
#      (../bad-data/id_ed25519 has the shape of a private key, no key in it.)
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = {
      environment.etc."ssh/ssh_host_ed25519_key".source = ../bad-data/id_ed25519;
    };
  };
}
