# expect-path: backupTarget
# expect: Failed assertions
# expect: node `db' is not defined
# why: a network-level option naming a node, checked the way cross-host modules check theirs.
let
  # Where an option is defined: FILE:LINE where the module system knows it, else FILE.
  where = option: toString (map (d: if d.pos or null != null then "${d.pos.file}:${toString d.pos.line}" else d.file) option.definitionsWithLocations);
in
import ../../default.nix { } ({ config, options, lib, ... }: {
  options.backupTarget = lib.mkOption { type = lib.types.str; description = "The node that receives backups."; };
  config = {
    nodes.web.host = "root@198.18.0.12";
    backupTarget = "db";
    assertions = [{
      assertion = config.nodes ? ${config.backupTarget};
      message = "`backupTarget' (in ${where options.backupTarget}): node `${config.backupTarget}' is not defined; nodes: ${toString (builtins.attrNames config.nodes)}";
    }];
  };
})
