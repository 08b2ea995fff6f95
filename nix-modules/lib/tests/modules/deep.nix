# Submodules inside submodules.
{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options.hosts = mkOption {
    type = types.attrsOf (types.submodule {
      options.users = mkOption {
        type = types.attrsOf (types.submodule ({ name, ... }: {
          options.uid = mkOption { type = types.ints.positive; };
          options.name = mkOption { type = types.str; default = name; };
        }));
        default = { };
      };
    });
    default = { };
  };
}
