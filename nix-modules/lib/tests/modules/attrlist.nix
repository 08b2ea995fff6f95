# types.attrListOf / attrListWith: named entries in order; lists or attribute sets as
# definitions, mkOrder on an entry or a value, mkForce among entries of one name.
{ lib, options, ... }:
let inherit (lib) mkOption types mkBefore mkAfter mkForce mkOrder; in
{
  options.steps = mkOption { type = types.attrListOf types.str; default = [ ]; };
  options.flags = mkOption {
    type = types.attrListWith { elemType = types.int; asAttrs = true; };
    default = { };
  };
  options.last = mkOption {
    type = types.attrListWith { elemType = types.str; asAttrs = true; mergeAttrValues = _: vs: lib.last vs; };
    default = { };
  };
  options.forced = mkOption { type = types.attrListOf types.str; default = [ ]; };
  options.badElement = mkOption { type = types.attrListOf types.str; default = [ ]; };
  options.badValue = mkOption { type = types.attrListOf types.int; default = [ ]; };

  imports = [ { steps = [ { build = "make"; } ]; } ];
  config.steps = lib.mkMerge [
    [ { test = "make check"; } (mkBefore { fetch = "git pull"; }) ]
    { install = mkAfter "make install"; }
  ];
  config.flags = [ { a = 1; } { b = 2; } { a = 3; } ];
  config.last = [ { a = "first"; } { a = "second"; } ];
  config.forced = [ { x = "dropped"; } { x = mkForce "kept"; } { y = "other"; } ];
  config.badElement = [ { a = "one"; b = "two"; } ];
  config.badValue = [ { a = "not a number"; } ];

  options.fed = mkOption { type = types.listOf types.str; default = [ ]; };
  config.fed = lib.mkMerge (map (lib.modules.mapDefinitionValue (e: lib.mapAttrsToList (n: v: "${n}=${v}") e)) options.steps.valueMeta.definitions);
}
