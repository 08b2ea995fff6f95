# expect-path: nodes.web.configuration
# expect: is not of type
# expect-line: 8
# why: a relative file name as a string is not a module; write ./web.nix.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = "web.nix";
  };
}
