# coercedTo converts every definition its from-type takes, even one the final type would
# take as it is (as nixpkgs does).
{ lib, ... }: {
  options.c = lib.mkOption { type = lib.types.coercedTo lib.types.int (n: n * 10) (lib.types.either lib.types.int lib.types.str); };
  config.c = 4;
}
