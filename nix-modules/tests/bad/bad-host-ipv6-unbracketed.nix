# expect-path: nodes.web.host
# expect: IPv6 address in brackets
# expect-line: 6
# why: an IPv6 address must be written in brackets, root@[2001:db8::12].
import ../../default.nix { } {
  nodes.web.host = "root@2001:db8::12";
}
