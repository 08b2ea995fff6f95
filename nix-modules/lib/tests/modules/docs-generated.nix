# Options made by a function have no position: declarations fall back to the file.
{ lib, ... }: {
  options = builtins.mapAttrs (n: d: lib.mkOption { type = lib.types.int; default = d; }) { gen = 1; };
}
