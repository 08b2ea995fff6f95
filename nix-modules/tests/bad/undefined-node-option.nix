# expect-path: backupTarget
# expect: Failed assertions
# expect: node `db' is not defined
# why: a network-level option naming a node, checked the way cross-host modules check theirs.
import ../../default.nix { } ({ config, options, lib, ... }: {
  options.backupTarget = lib.mkOption { type = lib.types.str; description = "The node that receives backups."; };
  config = {
    nodes.web.host = "root@198.18.0.12";
    backupTarget = "db";
    assertions = [{
      assertion = config.nodes ? ${config.backupTarget};
      message = "`backupTarget' (in ${lib.concatStringsSep ", " options.backupTarget.files}): node `${config.backupTarget}' is not defined; nodes: ${toString (builtins.attrNames config.nodes)}";
    }];
  };
})
