# Test driver for the module-system cases in cases.txt (run by modules_test.go).
#
# Arguments (always given with --argstr, never spliced into Nix code):
#   cases  JSON list of { name; path = [ "config" "a" ... ]; files = [ "x.nix" ... ]; }
#   mode   "batch"  -> { NAME = { ok = true; value = ...; } or { ok = false; }; ... }
#                      (values are forced inside builtins.tryEval, so a case that throws
#                      does not stop the others)
#          "single" -> the value of the one case, errors propagating to stderr
#
# Each case evaluates lib.evalModules { modules = FILES from ./modules; } with
# specialArgs.fixtureSpecial = "from-specialArgs" and reads PATH from
#   { config; options; _module; graph; docs = optionAttrSetToDocList options;
#     docsByName = { NAME = doc entry; }; }
# A path element that is a number selects a list element.
#   lib    the lib to evaluate with: the bundled one unless a path is given (the
#          opt-in run of the cases on nixpkgs' own lib, TestModuleSystemCasesOnNixpkgsLib)
{ cases, mode ? "batch", lib ? "" }:
let
  lib' = lib;
in
let
  lib = if lib' == "" then import ../default.nix else import lib';
  inherit (builtins) elemAt foldl' fromJSON head isList listToAttrs map tryEval deepSeq;

  root = c:
    let
      r = lib.evalModules {
        modules = map (f: ./modules + "/${f}") c.files;
        specialArgs.fixtureSpecial = "from-specialArgs";
      };
      docs = lib.optionAttrSetToDocList r.options;
    in
    {
      inherit (r) config options _module graph;
      inherit docs;
      docsByName = listToAttrs (map (d: { inherit (d) name; value = d; }) docs);
    };

  # Missing attributes throw (instead of aborting), so a batch survives a bad path.
  select = v: n:
    if isList v then elemAt v (fromJSON n)
    else if v ? ${n} then v.${n}
    else throw "attribute '${n}' missing";

  get = c: foldl' select (root c) c.path;

  list = fromJSON cases;
in
if mode == "single" then get (head list)
else
  listToAttrs (map
    (c: {
      inherit (c) name;
      value =
        let r = tryEval (let v = get c; in deepSeq v v); in
        if r.success then { ok = true; inherit (r) value; } else { ok = false; };
    })
    list)
