# expect-path: nodes.web.configuration.users.users
# expect: is not of type
# expect-line: 8
# why: users.users must be an attrset of users, not a list of names.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.users.users = [ "alice" ];
  };
}
