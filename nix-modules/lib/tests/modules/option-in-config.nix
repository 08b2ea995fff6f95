{ lib, ... }: {
  config.undeclaredOption = lib.mkOption { type = lib.types.int; };
}
