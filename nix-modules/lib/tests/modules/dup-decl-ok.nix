# A second declaration of `int' with the same type and no default merges.
{ lib, ... }: {
  options.int = lib.mkOption { type = lib.types.int; example = 3; };
}
