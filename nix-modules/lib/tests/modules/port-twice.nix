{ lib, ... }: {
  options.p = lib.mkOption { type = lib.types.port; };
  options.r = lib.mkOption { type = lib.types.ints.between 1 5; };
}
