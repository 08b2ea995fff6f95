# An optionType defined twice as submodules that both declare `inner': the later
# definition's declaration is named first, each by its file.
{ config, lib, ... }:
{
  _file = "first.nix";
  options.kind = lib.mkOption { type = lib.types.optionType; };
  options.thing = lib.mkOption { type = config.kind; default = { }; };
  config.kind = lib.mkMerge [
    (lib.types.submodule { options.inner = lib.mkOption { type = lib.types.int; }; })
    (lib.types.submodule { _file = "second.nix"; options.inner = lib.mkOption { type = lib.types.str; }; })
  ];
}
