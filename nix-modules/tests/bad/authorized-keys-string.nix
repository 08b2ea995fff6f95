# expect-path: nodes.web.configuration.users.users.alice.openssh.authorizedKeys.keys
# expect: is not of type
# expect-line: 7
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.users.users.alice = { isNormalUser = true; openssh.authorizedKeys.keys = "ssh-ed25519 AAAA alice"; };
  };
}
