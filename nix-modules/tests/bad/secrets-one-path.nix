# expect-path: nodes.web.secrets.b.path
# expect: which `nodes.web.secrets.a' also writes
# expect-line: 9
# why: two secrets with one path: the second upload would overwrite the first.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    secrets.a = { command = [ "echo" "a" ]; path = "/run/keys/x"; };
    secrets.b = { command = [ "echo" "b" ]; path = "/run/keys/x"; };
  };
}
