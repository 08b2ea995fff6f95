# A module file that is a function returning a module function is applied twice? No:
# only the outer function is a module; its result must be an attribute set.
{ lib, ... }: {
  options.fromFn = lib.mkOption { type = lib.types.functionTo lib.types.str; default = x: "got-${x}"; };
}
