# Library functions of the module system, called directly.
{ lib, ... }:
let
  inherit (lib) types;
  # The lib's own helpers (not part of nixpkgs' surface, so not in `lib`).
  own = (import ../../surface.nix).internal;
in
{
  options.fns = lib.mkOption { type = lib.types.raw; };
  config.fns = {
    showOption = lib.showOption [ "dns" "records" "web.lab.test." "A" "<name>" "*" ];
    showValue = own.showValue { a = [ 1 "two" null true 1.5 ]; f = x: x; p = /tmp; };
    toPretty = own.toPretty { } { a = { b = "c"; }; };
    toPrettyMultiline = own.toPretty { } "l1\nl2";
    showDefs = lib.options.showDefs [ { file = "f.nix"; value = 1; } { file = "g.nix"; pos = { file = "g.nix"; line = 3; column = 7; }; value = "s"; } ];
    mergeDefinitions = (lib.mergeDefinitions [ "x" ] types.int [
      { file = "a"; value = lib.mkDefault 1; }
      { file = "b"; value = 2; }
      { file = "c"; value = lib.mkIf false 3; }
    ]).mergedValue;
    pushDownProperties = lib.pushDownProperties (lib.mkIf true { a = 1; b = 2; });
    dischargeProperties = lib.dischargeProperties (lib.mkMerge [ 1 (lib.mkIf false 2) (lib.mkIf true 3) ]);
    encodings = {
      mkIf = lib.mkIf true 1;
      mkMerge = lib.mkMerge [ 1 ];
      mkDefault = lib.mkDefault 1;
      mkForce = lib.mkForce 1;
      mkOptionDefault = lib.mkOptionDefault 1;
      mkOverride = lib.mkOverride 42 1;
      mkBefore = lib.mkBefore 1;
      mkAfter = lib.mkAfter 1;
      mkOrder = lib.mkOrder 42 1;
      mkImageMediaOverride = lib.mkImageMediaOverride 1;
    };
    literalExpression = lib.literalExpression "pkgs.hello";
    literalMD = lib.literalMD "*md*";
    isOption = [ (lib.isOption (lib.mkOption { })) (lib.isOption { }) ];
    enableOption = builtins.removeAttrs (lib.mkEnableOption "x") [ "type" ];
    descriptions = map (t: t.description) [
      (types.listOf (types.nullOr types.int))
      (types.nullOr (types.listOf types.int))
      (types.attrsOf (types.either types.int types.str))
      (types.listOf types.port)
      (types.either (types.listOf types.int) types.str)
      (types.enum [ "only" ])
      (types.enum [ ])
      types.unspecified
      types.raw
      types.anything
      types.attrs
      types.deferredModule
      (types.submodule { })
      (types.uniq types.str)
      (types.lazyAttrsOf types.str)
    ];
    optionsToListIsAlias = own.optionsToList { a = lib.mkOption { type = types.int; default = 1; } // { loc = [ "a" ]; }; };
    evalType = (lib.evalModules { modules = [ ]; }).type.description;
    typeMergeEnum = ((types.enum [ "a" ]).typeMerge (types.enum [ "b" ]).functor).description;
    typeMergeStrInt = (types.str.typeMerge types.int.functor) == null;
    typeHelpers = [
      (lib.isType "option" (lib.mkOption { }))
      (lib.isOptionType types.int)
      (lib.isOptionType { })
      (lib.mkOptionType { name = "custom"; }).description
      (lib.setType "x" { a = 1; })._type
    ];
    customType = let even = lib.mkOptionType { name = "even"; description = "even integer"; check = x: builtins.isInt x && x / 2 * 2 == x; merge = lib.mergeEqualOption; }; in
      (lib.evalModules { modules = [ { options.e = lib.mkOption { type = even; }; config.e = 4; } ]; }).config.e;
  };
}
