# expect-path: nodes.web.host
# expect: is not of type
# expect-line: 6
# why: the port goes into `port', not into the host string.
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12:2222";
}
