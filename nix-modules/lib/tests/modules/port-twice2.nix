{ lib, ... }: {
  options.p = lib.mkOption { type = lib.types.port; default = 1; };
  options.r = lib.mkOption { type = lib.types.ints.between 1 6; };
}
