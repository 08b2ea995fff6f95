{ lib, ... }: {
  config._module.freeformType = lib.types.attrsOf lib.types.int;
  options.known = lib.mkOption { type = lib.types.str; default = "k"; };
}
