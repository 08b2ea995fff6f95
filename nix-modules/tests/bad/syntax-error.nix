# expect: syntax error
# expect-line: 7
# why: a missing semicolon; Nix's parser reports it, with no option path.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12"
    port = 22;
  };
}
