{ lib, ... }: {
  options.condDefault = lib.mkOption { type = lib.types.int; default = lib.mkIf false 5; };
  options.mergedDefault = lib.mkOption { type = lib.types.listOf lib.types.int; default = lib.mkMerge [ [ 1 ] [ 2 ] ]; };
}
