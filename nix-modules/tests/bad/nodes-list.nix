# expect-path: nodes
# expect: is not of type
# expect-line: 5
import ../../default.nix { } {
  nodes = [ { host = "root@198.18.0.12"; } ];
}
