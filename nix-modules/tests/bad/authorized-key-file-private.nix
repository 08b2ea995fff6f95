# expect-path: nodes.web.configuration.users.users.alice
# expect: keyFiles names
# expect: a private key
# expect-line: 13
# why: `keyFiles = [ ./id_ed25519 ]` for the .pub file puts the private key into the
#      world-readable Nix store (of this machine and every host the system reaches), and
#      it lets nobody log in. NixOS accepts it; nixmesh refuses it on every kind of host.
#      (../bad-data/id_ed25519 has the shape of a private key, no key in it.)
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = {
      users.users.alice = {
        isNormalUser = true;
        openssh.authorizedKeys.keyFiles = [
          ../bad-data/id_ed25519
        ];
      };
    };
  };
}
