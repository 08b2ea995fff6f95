# environment.etc: files under /etc. mode "symlink" (the default) makes /etc/TARGET a
# link to the content-addressed store file; any other mode copies the file and sets mode,
# user and group. Files a previous generation managed and this one does not are removed
# (a file that existed before nixmesh managed it is put back).
{ lib, ... }:
let
  inherit (lib) mkOption types;
  etcModule = { name, config, ... }: {
    freeformType = types.lazyAttrsOf types.anything;
    options = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Whether this /etc file should be generated.";
      };
      target = mkOption {
        type = types.str;
        default = name;
        description = "Name of symlink (relative to /etc). Defaults to the attribute name.";
      };
      text = mkOption {
        type = types.nullOr types.lines;
        default = null;
        description = "Text of the file.";
      };
      source = mkOption {
        type = types.nullOr types.path;
        default = null;
        description = "Path of the source file (used when `text` is null).";
      };
      mode = mkOption {
        type = types.str;
        default = "symlink";
        example = "0600";
        description = "If set to something else than `symlink`, the file is copied instead of symlinked, with the given file mode.";
      };
      uid = mkOption {
        type = types.int;
        default = 0;
        description = "UID of created file. Only takes effect when the file is copied (that is, the mode is not 'symlink').";
      };
      gid = mkOption {
        type = types.int;
        default = 0;
        description = "GID of created file. Only takes effect when the file is copied (that is, the mode is not 'symlink').";
      };
      user = mkOption {
        type = types.str;
        default = "+${toString config.uid}";
        description = "User name of the file owner (`+N` for a numeric id). Only takes effect when the file is copied. Changing this option takes precedence over `uid`.";
      };
      group = mkOption {
        type = types.str;
        default = "+${toString config.gid}";
        description = "Group name of the file owner (`+N` for a numeric id). Only takes effect when the file is copied. Changing this option takes precedence over `gid`.";
      };
    };
  };
in
{
  options.environment.etc = mkOption {
    type = types.attrsOf (types.submodule etcModule);
    default = { };
    example = lib.literalExpression ''
      { example-configuration-file = { source = "/nix/store/.../etc/dir/file.conf.example"; mode = "0440"; };
        "default/useradd".text = "GROUP=100 ..."; }
    '';
    description = "Set of files that have to be linked or copied into /etc.";
  };
}
