# Test driver for the general helpers of the bundled lib (trivial, lists, strings,
# attrsets, network). Run from Go (helpers_test.go):
#
#   nix-instantiate --eval --strict --json driver.nix -A report
#     -> { results = [ { name, ok, expr, expected } ];   one per case, by section then name
#          errors = { NAME = "expected message substring"; }; }   the cases of errors.nix
#   nix-instantiate --eval --strict --json driver.nix -A errorValue --argstr errorCase NAME
#     -> forces errors.nix's case NAME; the caller checks that it fails with its message
#   nix-instantiate ... -A report --argstr section NAME   -> one fixture file only
#   nix-instantiate ... -A report --argstr section NAME --argstr case CASE   -> one case
#   ... --arg lib 'import /path/to/nixpkgs/lib'   -> the same cases on another lib (the
#   real-lib parity test, surface_test.go)
#
# A case is { expr; expected; } (expr must evaluate to expected) or { expr; throws = true; }
# (expr, deeply forced, must fail with throw/assert).
{ errorCase ? null
, section ? null
, case ? null
, lib ? import ../../default.nix
}:
let
  inherit (builtins) tryEval deepSeq attrNames concatMap isFunction isAttrs isList
    isString toJSON typeOf concatStringsSep;

  load = section: import (./. + "/${section}.nix") { inherit lib; };

  # A readable rendering of any value (functions and errors included), for reports.
  show = v:
    let r = tryEval (deepSeq v v); in
    if !r.success then "<error>"
    else if isFunction v then "<function>"
    else if isList v then "[ " + concatStringsSep " " (map show v) + " ]"
    else if isAttrs v then
      (if v ? outPath then "<derivation ${toString v.outPath}>"
       else "{ " + concatStringsSep " " (map (n: "${n} = ${show v.${n}};") (attrNames v)) + " }")
    else if isString v then toJSON v
    else if v == null then "null"
    else if v == true then "true"
    else if v == false then "false"
    else toString v;

  runCase = section: name: case:
    let
      full = "${section}/${name}";
      r = tryEval (deepSeq case.expr case.expr);
    in
    if case.throws or false then {
      name = full;
      ok = !r.success;
      expr = if r.success then show r.value else "<error>";
      expected = "<error>";
    } else {
      name = full;
      ok = r.success && (let e = tryEval (deepSeq case.expected case.expected); in e.success && e.value == r.value);
      expr = if r.success then show r.value else "<error>";
      expected = show case.expected;
    };

  runSection = section:
    let cases = load section; in
    map (name: runCase section name cases.${name})
      (if case != null then [ case ] else attrNames cases);

  errorCases = load "errors";
  fixtures =
    if section != null then [ section ]
    else [ "trivial" "lists" "strings" "attrsets" "sections" "filesystem" "network" "exports" ];
in
{
  report = {
    results = concatMap runSection fixtures;
    errors = builtins.mapAttrs (_: c: c.message) errorCases;
  };
  errorValue = deepSeq errorCases.${errorCase}.expr errorCases.${errorCase}.expr;
}
