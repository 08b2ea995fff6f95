# environment.etc as NixOS declares it (nixos/modules/system/etc/etc.nix). NixOS derives
# `source' from `text' with a derivation; here that derivation is a throw, which proves
# that reading the plan never forces it.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  etcOpts = { name, config, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; description = "Whether the file is generated."; };
      target = mkOption { type = types.str; default = name; description = "The path below /etc."; };
      text = mkOption { type = types.nullOr types.lines; default = null; description = "The file's text."; };
      source = mkOption { type = types.path; description = "The file's source."; };
      mode = mkOption { type = types.str; default = "symlink"; description = "A copy's mode, or symlink."; };
      uid = mkOption { type = types.int; default = 0; description = "A copy's owner."; };
      gid = mkOption { type = types.int; default = 0; description = "A copy's group."; };
      user = mkOption { type = types.str; default = "+${toString config.uid}"; description = "A copy's owner by name."; };
      group = mkOption { type = types.str; default = "+${toString config.gid}"; description = "A copy's group by name."; };
    };
    config.source = lib.mkIf (config.text != null)
      (lib.mkDefault (throw "the plan read environment.etc.${name}.source, a derivation in NixOS"));
  };
in
{
  options.environment.etc = mkOption {
    type = types.attrsOf (types.submodule etcOpts);
    default = { };
    description = "Files in /etc.";
  };
}
