# expect-path: nodes.web.successTimeout
# expect: is not of type
# expect: positive
# expect-line: 8
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    successTimeout = 0;
  };
}
