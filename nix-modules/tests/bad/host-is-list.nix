# expect-path: nodes.web.host
# expect: is not of type
# expect-line: 5
import ../../default.nix { } {
  nodes.web.host = [ "root@198.18.0.12" ];
}
