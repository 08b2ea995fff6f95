# expect-path: defaults
# expect: is not of type
# expect-line: 5
import ../../default.nix { } {
  defaults = 42;
  nodes.web.host = "root@198.18.0.12";
}
