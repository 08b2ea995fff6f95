# expect-path: nodes.web.host
# expect: used but not defined
# expect-line: 6
# why: every node needs a host; the plan reads it.
import ../../default.nix { } {
  nodes.web.port = 22;
}
