# expect-path: nodes.web
# expect: is not of type
# expect-line: 5
import ../../default.nix { } {
  nodes.web = "root@198.18.0.12";
}
