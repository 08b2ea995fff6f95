# Options used by many cases.
{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options = {
    int = mkOption { type = types.int; default = 1; description = "An int."; };
    str = mkOption { type = types.str; description = "A string without default."; };
    list = mkOption { type = types.listOf types.str; default = [ ]; };
    attrs = mkOption { type = types.attrsOf types.int; default = { }; };
    lazy = mkOption { type = types.lazyAttrsOf types.int; default = { }; };
    bool = mkOption { type = types.bool; default = false; };
    enable = lib.mkEnableOption "the thing";
    lines = mkOption { type = types.lines; default = ""; };
    nested.a = mkOption { type = types.int; default = 10; };
    nested.b = mkOption { type = types.str; default = "b"; };
  };
}
