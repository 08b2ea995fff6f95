# expect-path: nodes.db.enable
# expect: is not of type
# expect-line: 6
import ../../default.nix { } {
  nodes.db.host = "root@198.18.0.13";
  nodes.db.enable = null;
}
