# expect-path: nodes.web.tags
# expect: is not of type
# expect: no spaces
# expect-line: 8
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    tags = [ "web" "front end" ];
  };
}
