# expect-path: nodes.web.system
# expect: read-only
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    system = "/nix/store/00000000000000000000000000000000-system";
  };
}
