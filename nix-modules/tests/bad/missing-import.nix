# expect-file: missing-import-gone.nix
# expect: missing-import-gone.nix
# why: an import of a file that does not exist.
import ../../default.nix { } {
  imports = [ ./missing-import-gone.nix ];
  nodes.web.host = "root@198.18.0.12";
}
