{ lib, ... }: {
  options.ro = lib.mkOption { type = lib.types.int; readOnly = true; };
  options.roDefault = lib.mkOption { type = lib.types.int; readOnly = true; default = 1; };
  options.applied = lib.mkOption { type = lib.types.int; default = 2; apply = x: x * 10; };
  config.ro = 1;
}
