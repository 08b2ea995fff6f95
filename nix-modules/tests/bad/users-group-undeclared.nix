# expect-path: nodes.web.configuration.users.users.carl
# expect: primary group that is undefined
# expect: users.groups.backup = { };
# why: NixOS asserts that a user's primary group is declared (users.groups), besides the
#      groups NixOS declares itself (users, wheel, ...).
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.users.users.carl = { isSystemUser = true; group = "backup"; };
  };
}
