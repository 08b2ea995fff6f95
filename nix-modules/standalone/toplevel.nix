# system.build.toplevel of a standalone host: checks `assertions`, prints `warnings`,
# computes the options that were set freeform (not applied on standalone hosts) and
# hands the evaluated configuration to make-toplevel.nix, which builds with builtins only.
{ config, options, lib, ... }:
let
  inherit (builtins) attrNames concatMap concatStringsSep filter isAttrs length match genList elemAt;

  isOption = o: isAttrs o && (o._type or null) == "option";

  showKey = k: if match "[A-Za-z_][A-Za-z0-9_'-]*" k != null then k else "\"${k}\"";
  # [ "a" "b.c" "[0]" "d" ] -> a."b.c"[0].d
  showPath = p: builtins.foldl'
    (acc: k: if match "\\[[0-9]+]" k != null then acc + k else if acc == "" then showKey k else "${acc}.${showKey k}")
    "" p;

  # freeformPaths PREFIX OPTIONS VALUE: the paths under PREFIX where VALUE has attributes
  # no option declares, walking into submodules (attrsOf/listOf/nullOr submodule).
  # Only the first undeclared name of a path is reported: `services.nginx`, not every
  # leaf below it.
  freeformPaths = prefix: opts: value:
    concatMap
      (k:
        let p = prefix ++ [ k ]; in
        if k == "_module" || p == [ "system" "build" ] then [ ]
        else if !(opts ? ${k}) then [ (showPath p) ]
        else if isOption opts.${k} then underType p opts.${k}.type value.${k}
        else if isAttrs value.${k} then freeformPaths p opts.${k} value.${k}
        else [ ])
      (attrNames value);

  underType = p: type: value:
    let
      name = type.name or "";
      elemType = type.nestedTypes.elemType or null;
    in
    if name == "submodule" && isAttrs value then freeformPaths p (type.getSubOptions p) value
    else if (name == "attrsOf" || name == "lazyAttrsOf") && elemType != null && isAttrs value then
      concatMap (k: underType (p ++ [ k ]) elemType value.${k}) (attrNames value)
    else if name == "listOf" && elemType != null && builtins.isList value then
      concatMap (i: underType (p ++ [ "[${toString i}]" ]) elemType (elemAt value i)) (genList (i: i) (length value))
    else if name == "nullOr" && elemType != null && value != null then underType p elemType value
    else [ ];

  notApplied = freeformPaths [ ] options config;

  failedAssertions = map (a: a.message) (filter (a: !a.assertion) config.assertions);
  checked =
    if failedAssertions != [ ] then
      throw "Failed assertions:\n${concatStringsSep "\n" (map (m: "- ${m}") failedAssertions)}"
    else lib.foldr (w: x: builtins.trace "warning: ${w}" x) null config.warnings;
in
{
  config.system.build.toplevel = builtins.seq checked (import ./make-toplevel.nix {
    inherit config notApplied;
    nodeName = config.system.name;
  });
  # For tests and tools: what dry-activate reports as not applied.
  config.system.build.notApplied = notApplied;
}
