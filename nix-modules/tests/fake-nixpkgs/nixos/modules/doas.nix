# security.doas as NixOS declares it (nixos/modules/security/doas.nix): off by default;
# its rules are `extraRules' (users and groups by name or number, noPass, persist, runAs,
# cmd, args, ...), to which NixOS adds the wheel group's rule (nopass only with
# wheelNeedsPassword = false) at mkOrder 600, before the user's own; extraConfig is
# doas.conf text after the rules; root may do anything, last.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.security.doas;
  flag = what: mkOption { type = types.bool; default = false; description = "The rule's ${what}."; };
  rule = types.submodule {
    options = {
      noPass = flag "nopass";
      noLog = flag "nolog";
      persist = flag "persist";
      keepEnv = flag "keepenv";
      setEnv = mkOption { type = types.listOf types.str; default = [ ]; description = "Variables kept or set."; };
      users = mkOption { type = types.listOf (types.either types.str types.int); default = [ ]; description = "The users (names or uids) the rule applies to."; };
      groups = mkOption { type = types.listOf (types.either types.str types.int); default = [ ]; description = "The groups (names or gids) the rule applies to."; };
      runAs = mkOption { type = types.nullOr types.str; default = null; description = "Whom the command runs as (null: anyone)."; };
      cmd = mkOption { type = types.nullOr types.str; default = null; description = "The command allowed (null: any)."; };
      args = mkOption { type = types.nullOr (types.listOf types.str); default = null; description = "The arguments the command must have."; };
    };
  };
  permit = r: who:
    "permit ${lib.concatStringsSep " " (lib.optional r.noPass "nopass" ++ lib.optional r.noLog "nolog" ++ lib.optional r.persist "persist" ++ lib.optional r.keepEnv "keepenv")} ${who}"
    + lib.optionalString (r.runAs != null) " as ${r.runAs}" + lib.optionalString (r.cmd != null) " cmd ${r.cmd}"
    + lib.optionalString (r.args != null) " args ${lib.concatStringsSep " " r.args}";
in
{
  options.security.doas = {
    enable = mkOption { type = types.bool; default = false; description = "Whether to install doas."; };
    wheelNeedsPassword = mkOption { type = types.bool; default = true; description = "Whether the wheel group's members must give their password."; };
    extraRules = mkOption { type = types.listOf rule; default = [ ]; description = "doas.conf rules."; };
    extraConfig = mkOption { type = types.lines; default = ""; description = "doas.conf text of one's own, after the rules."; };
  };

  config.security.doas.extraRules = lib.mkIf cfg.enable (lib.mkOrder 600 [ { groups = [ "wheel" ]; noPass = !cfg.wheelNeedsPassword; } ]);

  # As on NixOS, the rules are read when the system is: doas.conf is part of it.
  config.system.build.doasConf = lib.optionalString cfg.enable (lib.concatStrings
    (lib.concatMap (r: map (u: permit r (toString u) + "\n") r.users ++ map (g: permit r ":${toString g}" + "\n") r.groups) cfg.extraRules)
    + cfg.extraConfig + "\npermit nopass keepenv root\n");
}
