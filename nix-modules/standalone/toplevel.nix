# system.build.toplevel of a standalone host: checks `assertions`, prints `warnings`,
# computes the options that were set freeform (not applied on standalone hosts) and
# hands the evaluated configuration to make-toplevel.nix, which builds with builtins only.
{ config, options, lib, hostSystem ? null, ... }:
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
        if k == "_module" || p == [ "system" "build" ] || p == [ "assertions" ] || p == [ "warnings" ] then [ ]
        else if !(opts ? ${k}) then [ { shown = showPath p; path = p; value = value.${k}; } ]
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

  freeform = freeformPaths [ ] options config;
  notApplied = map (e: e.shown) freeform;

  # A Nix path value (./file) anywhere in a value, outside derivations and functions.
  nixPathIn = v:
    if builtins.isPath v then [ (toString v) ]
    else if isAttrs v && !(v ? outPath) then concatMap (k: nixPathIn v.${k}) (attrNames v)
    else if builtins.isList v then concatMap nixPathIn v
    else [ ];

  failedAssertions = map (a: a.message) (filter (a: !a.assertion) config.assertions);
  checked =
    if failedAssertions != [ ] then
      throw "Failed assertions:\n${concatStringsSep "\n" (map (m: "- ${m}") failedAssertions)}"
    else lib.foldr (w: x: builtins.trace "warning: ${w}" x) null config.warnings;
in
{
  # A Nix path in an option that is not applied would only be copied into the
  # world-readable store (config.json), perhaps a secret, and do nothing on the host.
  config.assertions = concatMap
    (e: map
      (path: {
        assertion = false;
        message = "`${e.shown}' holds the Nix path ${path}: standalone hosts do not apply this option, and building the system would copy the file (maybe a secret) into the world-readable Nix store. Remove the option, or give the file as a string (toString ./file) if it is meant for the host.";
      })
      (nixPathIn e.value))
    freeform;

  config.system.build.toplevel = builtins.seq checked (import ./make-toplevel.nix ({
    inherit config notApplied;
    nodeName = config.system.name;
    # The evaluation's prefix (`nodes.web.configuration' in a deployment), for messages.
    optionPrefix = let p = lib.lists.take (builtins.length options.system.name.loc - 2) options.system.name.loc; in
      if p == [ ] then "" else "${lib.options.showOption p}.";
  } // lib.optionalAttrs (hostSystem != null) { system = hostSystem; }));
  # For tests and tools: what dry-activate reports as not applied.
  config.system.build.notApplied = notApplied;
  # The same as attribute paths (`[ "networking" "hostname" ]'; a list entry is "[N]"),
  # for locating their definitions.
  config.system.build.notAppliedPaths = map (e: { inherit (e) shown path; }) freeform;
}
