# Cases for lib/attrsets.nix. Each: { expr; expected; } or { expr; throws = true; }.
{ lib }:
with lib;
with lib.attrsets; # the section's own names (nixpkgs keeps some only there)
{
  attrByPath = { expr = [ (attrByPath [ "a" "b" ] 0 { a.b = 1; }) (attrByPath [ "a" "x" ] 0 { a.b = 1; }) (attrByPath [ ] 0 { a = 1; }) (attrByPath [ "a" "b" ] 0 { a = 5; }) ]; expected = [ 1 0 { a = 1; } 0 ]; };
  hasAttrByPath = { expr = [ (hasAttrByPath [ "a" "b" ] { a.b = null; }) (hasAttrByPath [ "a" "c" ] { a.b = 1; }) (hasAttrByPath [ ] { }) (hasAttrByPath [ "a" "b" ] { a = 1; }) ]; expected = [ true false true false ]; };
  setAttrByPath = { expr = [ (setAttrByPath [ "a" "b" ] 1) (setAttrByPath [ ] 1) ]; expected = [ { a.b = 1; } 1 ]; };
  getAttrFromPath = { expr = getAttrFromPath [ "a" "b" ] { a.b = 2; }; expected = 2; };
  attrVals = { expr = attrVals [ "b" "a" ] { a = 1; b = 2; c = 3; }; expected = [ 2 1 ]; };
  attrValuesSorted = { expr = attrValues { b = 2; a = 1; }; expected = [ 1 2 ]; };
  getAttrs = { expr = getAttrs [ "a" ] { a = 1; b = 2; }; expected = { a = 1; }; };
  catAttrs = { expr = catAttrs "a" [ { a = 1; } { b = 0; } { a = 2; } ]; expected = [ 1 2 ]; };
  filterAttrs = { expr = filterAttrs (n: v: n != "a" && v > 1) { a = 3; b = 2; c = 1; }; expected = { b = 2; }; };
  filterAttrsEmpty = { expr = filterAttrs (n: v: true) { }; expected = { }; };
  filterAttrsRecursive = { expr = filterAttrsRecursive (n: v: v != null) { a = null; b = { c = null; d = 1; }; }; expected = { b = { d = 1; }; }; };
  foldAttrs = { expr = foldAttrs (v: acc: [ v ] ++ acc) [ ] [ { a = 1; } { a = 2; b = 3; } ]; expected = { a = [ 1 2 ]; b = [ 3 ]; }; };
  foldAttrsSum = { expr = foldAttrs (v: acc: v + acc) 0 [ { a = 1; } { a = 2; } ]; expected = { a = 3; }; };
  foldlAttrs = { expr = foldlAttrs (acc: n: v: acc + n + toString v) ">" { b = 2; a = 1; }; expected = ">a1b2"; };
  foldlAttrsEmpty = { expr = foldlAttrs (acc: n: v: throw "not called") 0 { }; expected = 0; };
  collect = { expr = collect isInt { a = 1; b = { c = 2; d = "x"; }; }; expected = [ 1 2 ]; };
  collectStopsAtMatch = { expr = collect (x: x ? outPath) { a = { outPath = "a"; inner = { outPath = "b"; }; }; }; expected = [ { outPath = "a"; inner = { outPath = "b"; }; } ]; };
  nameValuePair = { expr = nameValuePair "n" 1; expected = { name = "n"; value = 1; }; };
  mapAttrs = { expr = mapAttrs (n: v: "${n}${toString v}") { a = 1; }; expected = { a = "a1"; }; };
  mapAttrsPrime = { expr = mapAttrs' (n: v: nameValuePair "x-${n}" (v * 2)) { a = 1; b = 2; }; expected = { x-a = 2; x-b = 4; }; };
  mapAttrsToList = { expr = mapAttrsToList (n: v: n + v) { b = "2"; a = "1"; }; expected = [ "a1" "b2" ]; };
  attrsToList = { expr = attrsToList { a = 1; }; expected = [ { name = "a"; value = 1; } ]; };
  concatMapAttrs = { expr = concatMapAttrs (n: v: { ${n} = v; "${n}2" = v * 2; }) { a = 1; b = 2; }; expected = { a = 1; a2 = 2; b = 2; b2 = 4; }; };
  concatMapAttrsLaterWins = { expr = concatMapAttrs (n: v: { k = n; }) { a = 1; b = 2; }; expected = { k = "b"; }; };
  mergeAttrsList = { expr = mergeAttrsList [ { a = 1; } { a = 2; b = 1; } { } ]; expected = { a = 2; b = 1; }; };
  mapAttrsRecursive = { expr = mapAttrsRecursive (p: v: concatStringsSep "." p) { a.b = 1; c = 2; }; expected = { a.b = "a.b"; c = "c"; }; };
  mapAttrsRecursiveCond = {
    expr = mapAttrsRecursiveCond (s: !(s ? stop)) (p: v: if isAttrs v then "leaf" else v + 1) { a = { b = 1; }; c = { stop = 1; }; };
    expected = { a = { b = 2; }; c = "leaf"; };
  };
  genAttrs = { expr = genAttrs [ "a" "b" ] (n: n + n); expected = { a = "aa"; b = "bb"; }; };
  genAttrsEmpty = { expr = genAttrs [ ] (n: n); expected = { }; };
  isDerivation = { expr = [ (isDerivation { type = "derivation"; }) (isDerivation { }) (isDerivation 1) ]; expected = [ true false false ]; };
  optionalAttrs = { expr = [ (optionalAttrs true { a = 1; }) (optionalAttrs false { a = 1; }) ]; expected = [ { a = 1; } { } ]; };
  zipAttrsWithNames = { expr = zipAttrsWithNames [ "a" ] (n: vs: vs) [ { a = 1; b = 0; } { a = 2; } ]; expected = { a = [ 1 2 ]; }; };
  zipAttrsWith = { expr = zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]; expected = { a = [ 1 2 ]; b = [ 3 ]; }; };
  zipAttrs = { expr = zipAttrs [ { a = 1; } { a = 2; } ]; expected = { a = [ 1 2 ]; }; };
  recursiveUpdate = { expr = recursiveUpdate { a.b = 1; a.c = 2; d = 1; } { a.b = 3; d = { x = 1; }; }; expected = { a = { b = 3; c = 2; }; d = { x = 1; }; }; };
  recursiveUpdateReplacesNonSet = { expr = recursiveUpdate { a = { b = 1; }; } { a = 5; }; expected = { a = 5; }; };
  recursiveUpdateUntil = {
    expr = recursiveUpdateUntil (path: l: r: path == [ "foo" ]) { foo.bar = 1; foo.baz = 2; bar = 3; } { foo.bar = 1; foo.quz = 2; baz = 4; };
    expected = { foo.bar = 1; foo.quz = 2; bar = 3; baz = 4; };
  };
  matchAttrs = { expr = [ (matchAttrs { a.b = 1; } { a = { b = 1; c = 2; }; }) (matchAttrs { a = 1; } { a = 2; }) (matchAttrs { a = 1; } { }) (matchAttrs { a.b = 1; } { a = 1; }) (matchAttrs { } { x = 1; }) ]; expected = [ true false false false true ]; };
  overrideExisting = { expr = overrideExisting { a = 1; b = 2; } { a = 3; c = 4; }; expected = { a = 3; b = 2; }; };
  showAttrPath = { expr = [ (showAttrPath [ "a" "b.c" ]) (showAttrPath [ ]) (showAttrPath [ "x" ]) ]; expected = [ "a.\"b.c\"" "<root attribute path>" "x" ]; };
  # lib.options.showOption (nixpkgs has it there and at the top, not in attrsets).
  showOption = {
    expr = let inherit (lib.options) showOption; in [ (showOption [ "nodes" "a.b" "port" ]) (showOption [ "nodes" "<name>" "port" ]) (showOption [ "list" "*" "x" ]) (showOption [ "f" "<function body>" ]) (showOption [ ]) (showOption [ "a b" "$x" ]) ];
    expected = [ "nodes.\"a.b\".port" "nodes.<name>.port" "list.*.x" "f.<function body>" "" "\"a b\".\"\\$x\"" ];
  };
  getOutput = { expr = [ (getOutput "bin" { bin = "B"; out = "O"; }) (getOutput "bin" { out = "O"; }) (getOutput "bin" "plain") (getOutput "bin" { outputSpecified = true; bin = "B"; name = "s"; }).name ]; expected = [ "B" "O" "plain" "s" ]; };
  updateManyAttrsByPath = {
    expr = updateManyAttrsByPath [
      { path = [ "a" "b" ]; update = old: old + 1; }
      { path = [ "c" ]; update = old: 10; }
      { path = [ "a" "b" ]; update = old: old * 2; }
      { path = [ ]; update = old: old // { z = 1; }; }
    ] { a.b = 1; a.x = 0; };
    expected = { a = { b = 4; x = 0; }; c = 10; z = 1; };
  };
  updateManyAttrsByPathMissingUsed = { expr = updateManyAttrsByPath [ { path = [ "q" ]; update = old: old + 1; } ] { }; throws = true; };
  listToAttrsLastWins = { expr = listToAttrs [ (nameValuePair "a" 1) (nameValuePair "a" 2) ]; expected = { a = 1; }; };
  attrNamesRemoveAttrs = { expr = [ (attrNames { b = 1; a = 2; }) (removeAttrs { a = 1; b = 2; } [ "a" "z" ]) ]; expected = [ [ "a" "b" ] { b = 2; } ]; };
  unionOfDisjoint = { expr = unionOfDisjoint { a = 1; } { b = 2; }; expected = { a = 1; b = 2; }; };
  unionOfDisjointCollision = { expr = unionOfDisjoint { a = 1; } { a = 2; }; throws = true; };
  unionOfDisjointCollisionIsLazy = { expr = (unionOfDisjoint { a = 1; b = 1; } { a = 2; }).b; expected = 1; };
  cartesianProduct = { expr = cartesianProduct { a = [ 1 2 ]; b = [ 3 ]; }; expected = [ { a = 1; b = 3; } { a = 2; b = 3; } ]; };
  cartesianProductEmptyList = { expr = cartesianProduct { a = [ 1 2 ]; b = [ ]; }; expected = [ ]; };
  cartesianProductNoAttrs = { expr = cartesianProduct { }; expected = [ { } ]; };
  mapCartesianProduct = { expr = mapCartesianProduct ({ a, b }: a + b) { a = [ 1 2 ]; b = [ 10 20 ]; }; expected = [ 11 21 12 22 ]; };
  recurseIntoAttrs = { expr = recurseIntoAttrs { a = 1; }; expected = { a = 1; recurseForDerivations = true; }; };
}
