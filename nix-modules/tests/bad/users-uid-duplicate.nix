# expect-path: nodes.web.configuration.users.users.alice
# expect: UIDs and GIDs must be unique
# expect: have the same uid 1500
# expect-line: 10
# why: NixOS asserts that no two users share a uid (users.enforceIdUniqueness); two
#      accounts with one uid are one owner of each other's files.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.users.users.alice = { isNormalUser = true; uid = 1500; };
    configuration.users.users.bob = { isNormalUser = true; uid = 1500; };
  };
}
