# expect-path: backupWindow
# expect: defined multiple times
# expect-line: 9
# why: (reported at the second definition, as Nix reports a repeated attribute) a network-level option of type `uniq' (as a cross-host module might declare) set twice.
import ../../default.nix { } ({ config, lib, ... }: {
  options.backupWindow = lib.mkOption { type = lib.types.uniq lib.types.str; };
  imports = [
    { backupWindow = "02:00"; }
    { backupWindow = "02:00"; }
  ];
  config.nodes.web.host = "root@198.18.0.12";
  config.warnings = [ config.backupWindow ];
})
