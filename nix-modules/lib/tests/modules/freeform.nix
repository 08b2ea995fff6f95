{ lib, ... }: {
  freeformType = lib.types.attrsOf lib.types.anything;
  options.known = lib.mkOption { type = lib.types.int; default = 1; };
  options.sub.declared = lib.mkOption { type = lib.types.str; default = "d"; };
}
