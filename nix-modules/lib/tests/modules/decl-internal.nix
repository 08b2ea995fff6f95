# An option and an internal one beside it: a misspelt definition is not pointed at the
# internal one.
{ lib, ... }: {
  options.port = lib.mkOption { type = lib.types.int; default = 1; };
  options.portFiles = lib.mkOption { type = lib.types.listOf lib.types.str; internal = true; default = [ ]; };
}
