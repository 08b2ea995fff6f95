# expect-path: nodes.web.configuration.users.users.alice.uid
# expect: is not of type
# expect-line: 9
# why: users.users.<name> is freeform beyond NixOS's options, but the declared ones keep their types.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.users.users.alice = {
      uid = "1000";
    };
  };
}
