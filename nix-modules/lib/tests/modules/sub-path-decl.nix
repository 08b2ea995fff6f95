# Declares a sub-option inside the submodule option `nodes' from outside.
{ lib, ... }: {
  options.nodes = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule { options.fromPath = lib.mkOption { type = lib.types.int; default = 7; }; });
  };
}
