# expect-path: nodes.web.port
# expect: is not of type
# expect: 70000
# expect-line: 8
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    port = 70000;
  };
}
