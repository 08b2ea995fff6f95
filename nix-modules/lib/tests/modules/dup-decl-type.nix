{ lib, ... }: {
  options.int = lib.mkOption { type = lib.types.str; };
}
