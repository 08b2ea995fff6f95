# How the helpers are exported: under their section and at the top of lib, with no
# name defined by two of the helper files (a clash would silently shadow one of them).
{ lib }:
let
  helperSections = [ "trivial" "lists" "strings" "attrsets" ];
  namesOf = s: builtins.attrNames (import (../../. + "/${s}.nix") { inherit lib; });
  pairs = lib.concatMap
    (a: map (b: { inherit a b; }) (lib.filter (b: b > a) helperSections))
    helperSections;
  clashes = lib.concatMap
    (p: map (n: "${p.a}/${p.b}: ${n}") (lib.intersectLists (namesOf p.a) (namesOf p.b)))
    pairs;
  # Every name of every helper section is reachable at the top and is the same value
  # (compared by applying nothing: same attribute, via pointer-equal lists of names).
  missingAtTop = lib.concatMap
    (s: lib.filter (n: !(lib ? ${n})) (namesOf s))
    helperSections;
in
{
  noNameClashBetweenHelperFiles = { expr = clashes; expected = [ ]; };
  everyHelperNameAtTopLevel = { expr = missingAtTop; expected = [ ]; };
  sectionsPresent = { expr = map (s: lib ? ${s}) helperSections; expected = [ true true true true ]; };
  # The IPv4/IPv6 helpers are nixmesh's own, imported by path: no name of theirs may be in
  # lib (nixpkgs' `lib.network` is an unrelated IPv6 parser).
  networkNotInLib = { expr = [ (lib ? network) (lib ? nthHost) (lib ? isIP) (lib ? cidrContains) ]; expected = [ false false false false ]; };
  topLevelIsSectionValue = { expr = [ (lib.concatStringsSep "," [ "a" ]) (lib.strings.concatStringsSep "," [ "a" ]) (lib.lists.range 1 2) (lib.attrsets.showOption [ "a" ]) ]; expected = [ "a" "a" [ 1 2 ] "a" ]; };
  versionsSection = { expr = lib.versions.majorMinor "2.8.0"; expected = "2.8"; };
  # The names the module system and the framework rely on.
  commonNamesExist = {
    expr = lib.filter (n: !(lib ? ${n})) [
      "id" "const" "flip" "pipe" "concat" "or" "and" "boolToString" "mergeAttrs" "isFunction"
      "functionArgs" "setFunctionArgs" "mirrorFunctionArgs" "toFunction" "min" "max" "mod"
      "warn" "warnIf" "throwIf" "throwIfNot" "info" "showWarnings" "inNixShell"
      "isInOldestRelease" "version" "release" "toHexString" "toBaseDigits" "importJSON"
      "pathExists" "seq" "deepSeq" "fix" "assertMsg" "assertOneOf"
      "foldr" "foldl" "foldl'" "imap0" "imap1" "concatMap" "flatten" "remove" "findSingle"
      "findFirst" "findFirstIndex" "any" "all" "count" "optional" "optionals" "toList"
      "forEach" "filter" "elem" "range" "replicate" "partition" "groupBy" "groupBy'"
      "zipListsWith" "zipLists" "reverseList" "listDfs" "toposort" "sort" "sortOn"
      "naturalSort" "compareLists" "take" "drop" "sublist" "last" "init" "head" "tail"
      "elemAt" "length" "unique" "uniqueStrings" "allUnique" "intersectLists"
      "subtractLists" "mutuallyExclusive" "crossLists" "ifilter0" "genList" "singleton"
      "concatStrings" "concatMapStrings" "concatImapStrings" "intersperse" "concatStringsSep"
      "concatMapStringsSep" "concatImapStringsSep" "concatLines" "makeSearchPath"
      "optionalString" "hasPrefix" "hasSuffix" "hasInfix" "stringToCharacters"
      "stringAsChars" "escape" "escapeShellArg" "escapeShellArgs" "escapeNixString"
      "escapeRegex" "toUpper" "toLower" "addContextFrom" "splitString" "removePrefix"
      "removeSuffix" "versionOlder" "versionAtLeast" "getName" "getVersion" "enableFeature"
      "fixedWidthString" "fixedWidthNumber" "toInt" "toIntBase10" "isStringLike"
      "isStorePath" "isValidPosixName" "trim" "match" "replaceStrings" "substring"
      "stringLength" "readFile" "lowerChars" "upperChars" "toJSON" "fromJSON"
      "commonPrefixLength" "escapeXML" "escapeNixIdentifier"
      "attrByPath" "hasAttrByPath" "setAttrByPath" "getAttrFromPath" "attrVals"
      "attrValues" "getAttrs" "catAttrs" "filterAttrs" "filterAttrsRecursive" "foldAttrs"
      "foldlAttrs" "collect" "nameValuePair" "mapAttrs" "mapAttrs'" "mapAttrsToList"
      "concatMapAttrs" "mapAttrsRecursive" "mapAttrsRecursiveCond" "genAttrs"
      "isDerivation" "toDerivation" "optionalAttrs" "zipAttrsWithNames" "zipAttrsWith"
      "zipAttrs" "recursiveUpdateUntil" "recursiveUpdate" "matchAttrs" "overrideExisting"
      "showAttrPath" "getOutput" "updateManyAttrsByPath" "listToAttrs" "attrNames"
      "removeAttrs" "unionOfDisjoint" "cartesianProductOfSets" "cartesianProduct"
      "showOption"
    ];
    expected = [ ];
  };
}
