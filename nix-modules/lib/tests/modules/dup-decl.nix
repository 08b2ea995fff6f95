{ lib, ... }: {
  options.int = lib.mkOption { type = lib.types.int; default = 2; };
}
