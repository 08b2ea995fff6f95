# Definitions built by a function have no source position: locations fall back to the file.
{ lib, ... }: {
  config = builtins.mapAttrs (n: v: v) { int = "computed"; };
}
