# expect-path: nodes.web_1
# expect: cannot be a host name
import ../../default.nix { } {
  nodes.web_1.host = "root@198.18.0.12";
}
