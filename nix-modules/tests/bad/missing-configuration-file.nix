# expect-file: missing-configuration-file-web.nix
# expect: missing-configuration-file-web.nix
# why: `configuration = ./file' names a host module that does not exist.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = ./missing-configuration-file-web.nix;
  };
}
