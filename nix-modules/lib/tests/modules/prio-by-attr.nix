# lib.modules.mergeAttrDefinitionsWithPrio: each attribute's winning priority, found
# without forcing any value (the throws must stay unevaluated).
{ lib, options, ... }:
let
  byAttr = lib.modules.mergeAttrDefinitionsWithPrio options.attrs;
in
{
  options.prios = lib.mkOption { type = lib.types.attrsOf lib.types.int; };
  config.attrs = {
    low = lib.mkDefault (throw "mkDefault's value was forced");
    plain = 3;
    forced = lib.mkForce (throw "mkForce's value was forced");
  };
  config.prios = {
    low = byAttr.low.highestPrio;
    plain = byAttr.plain.highestPrio;
    forced = byAttr.forced.highestPrio;
    plainValue = byAttr.plain.value;
  };
}
