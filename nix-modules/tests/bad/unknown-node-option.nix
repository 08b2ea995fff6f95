# expect-path: nodes.web.prot
# expect: does not exist
# expect-line: 7
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    prot = 2222;
  };
}
