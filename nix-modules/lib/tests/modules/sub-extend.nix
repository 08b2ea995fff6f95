# Declares `nodes` again: the two submodule types merge.
{ lib, ... }: {
  options.nodes = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule {
      options.extra = lib.mkOption { type = lib.types.bool; default = false; };
    });
  };
  config.nodes.web.extra = true;
}
