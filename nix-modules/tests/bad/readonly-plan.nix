# expect-path: plan
# expect: read-only
# expect-line: 6
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12";
  plan = { version = 2; };
}
