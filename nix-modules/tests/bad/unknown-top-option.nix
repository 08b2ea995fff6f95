# expect-path: node
# expect: does not exist
# expect-line: 5
import ../../default.nix { } {
  node.web.host = "root@198.18.0.12";
}
