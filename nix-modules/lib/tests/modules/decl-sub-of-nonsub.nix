{ lib, ... }: {
  options.int.sub = lib.mkOption { type = lib.types.int; };
}
