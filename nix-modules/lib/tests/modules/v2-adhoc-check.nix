# A type with a v2 merge whose check was replaced with `//`: refused (the v2 merge would
# ignore that check), pointing at types.addCheck; addCheck itself works.
{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options.adhoc = mkOption { type = types.attrsOf types.int // { check = v: v ? must; }; default = { }; };
  options.checked = mkOption { type = types.addCheck (types.attrsOf types.int) (v: v ? must); default = { }; };
  options.checkedBad = mkOption { type = types.addCheck (types.attrsOf types.int) (v: v ? must); default = { }; };
  config.adhoc.x = 1;
  config.checked = { must = 1; other = 2; };
  config.checkedBad = { other = 2; };
}
