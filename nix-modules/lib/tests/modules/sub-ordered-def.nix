# A submodule's definition under mkBefore: NixOS's submodule cannot take it.
{ lib, ... }: {
  options.ordered = lib.mkOption {
    type = lib.types.submodule { options.x = lib.mkOption { default = 1; }; };
    default = { };
  };
  config.ordered = lib.mkBefore { x = 2; };
}
