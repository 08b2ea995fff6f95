# security.sudo as NixOS declares it (nixos/modules/security/sudo.nix): enabled by
# default; its rules are `extraRules', to which NixOS itself adds root's rule and the
# wheel group's (NOPASSWD only with wheelNeedsPassword = false), ordered before the
# user's own; extraConfig is sudoers text appended as written.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.security.sudo;
  tags = [ "NOPASSWD" "PASSWD" "NOEXEC" "EXEC" "SETENV" "NOSETENV" "LOG_INPUT" "NOLOG_INPUT" "LOG_OUTPUT" "NOLOG_OUTPUT" "MAIL" "NOMAIL" "FOLLOW" "NOFOLLOW" "INTERCEPT" "NOINTERCEPT" ];
  rule = types.submodule {
    options = {
      users = mkOption { type = types.listOf (types.either types.str types.int); default = [ ]; description = "The users (names or uids) the rule applies to."; };
      groups = mkOption { type = types.listOf (types.either types.str types.int); default = [ ]; description = "The groups (names or gids) the rule applies to."; };
      host = mkOption { type = types.str; default = "ALL"; description = "The host the rule applies on."; };
      runAs = mkOption { type = types.str; default = "ALL:ALL"; description = "Whom the commands run as."; };
      commands = mkOption {
        type = types.listOf (types.either types.str (types.submodule {
          options = {
            command = mkOption { type = types.str; description = "A command."; };
            options = mkOption { type = types.listOf (types.enum tags); default = [ ]; description = "The command's tags."; };
          };
        }));
        description = "The commands the rule allows.";
      };
    };
  };
  allRule = who: options: { commands = [{ command = "ALL"; inherit options; }]; } // who;
in
{
  options.security.sudo = {
    enable = mkOption { type = types.bool; default = true; description = "Whether to install sudo."; };
    wheelNeedsPassword = mkOption { type = types.bool; default = true; description = "Whether the wheel group's members must give their password."; };
    execWheelOnly = mkOption { type = types.bool; default = false; description = "Whether only wheel's members may run sudo."; };
    extraRules = mkOption { type = types.listOf rule; default = [ ]; description = "sudoers rules."; };
    extraConfig = mkOption { type = types.lines; default = ""; description = "sudoers text of one's own."; };
  };

  config.security.sudo.extraRules = lib.mkIf cfg.enable (lib.mkMerge [
    (lib.mkOrder 400 [ (allRule { users = [ "root" ]; } [ "SETENV" ]) ])
    (lib.mkOrder 600 [ (allRule { groups = [ "wheel" ]; } (lib.optional (!cfg.wheelNeedsPassword) "NOPASSWD" ++ [ "SETENV" ])) ])
  ]);

  # As on NixOS, the rules are read when the system is: sudoers is part of it.
  config.system.build.sudoers = lib.optionalString cfg.enable (lib.concatMapStrings
    (r: "${lib.concatMapStringsSep "," toString (r.users ++ map (g: "%${toString g}") r.groups)} ${r.host}=(${r.runAs}) ${lib.concatMapStringsSep ", " (c: if builtins.isString c then c else lib.concatMapStrings (t: t + ": ") c.options + c.command) r.commands}\n")
    cfg.extraRules + cfg.extraConfig);
}
