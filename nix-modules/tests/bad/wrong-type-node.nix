# expect-path: nodes.web.enable
# expect: is not of type
# expect: boolean
# expect-line: 8
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    enable = "yes";
  };
}
