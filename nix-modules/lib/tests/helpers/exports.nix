# How the lib is exported: nixpkgs' sections, and at the top the names nixpkgs has at its
# top, no more (a name only a section has in nixpkgs must not work at the top here, or a
# module written against the bundled lib breaks on NixOS). The full comparison with
# nixpkgs' lib is the real-lib surface test (surface_test.go); these cases keep the
# known traps out without nixpkgs.
{ lib }:
let
  own = (import ../../surface.nix).internal;
  helperSections = [ "trivial" "lists" "strings" "attrsets" ];
  namesOf = s: builtins.attrNames (import (../../. + "/${s}.nix") { lib = own; });
  pairs = lib.concatMap
    (a: map (b: { inherit a b; }) (lib.filter (b: b > a) helperSections))
    helperSections;
  # Two helper files defining one name (other than passing on the same builtin): only
  # where nixpkgs has two functions of that name
  # (lib.lists.hasPrefix on lists, lib.strings.hasPrefix on strings, ...).
  clashes = lib.concatMap
    (p: map (n: "${p.a}/${p.b}: ${n}") (lib.filter (n: !(builtins ? ${n})) (lib.intersectLists (namesOf p.a) (namesOf p.b))))
    pairs;
in
{
  nameClashesAreNixpkgsOwn = {
    expr = clashes;
    expected = [ "lists/strings: hasPrefix" "lists/strings: removePrefix" "lists/strings: replicate" ];
  };
  # ...and the top takes them as nixpkgs does.
  topOfClashingNames = {
    expr = [ (lib.replicate 2 "a") (lib.strings.replicate 2 "a") (lib.hasPrefix "a" "ab") (lib.lists.hasPrefix [ 1 ] [ 1 2 ]) (lib.removePrefix "a" "ab") (lib.lists.removePrefix [ 1 ] [ 1 2 ]) ];
    expected = [ [ "a" "a" ] "aa" true true "b" [ 2 ] ];
  };
  sectionsPresent = {
    expr = lib.filter (s: !(lib ? ${s})) [ "trivial" "lists" "strings" "attrsets" "options" "modules" "types" "asserts" "debug" "fixedPoints" "versions" "generators" "cli" "filesystem" "stringsWithDeps" ];
    expected = [ ];
  };
  # Names nixpkgs keeps in a section only: there, and not at the top.
  sectionOnlyNames = {
    expr = lib.filter (p: lib ? ${p.name} || !(lib.${p.section} ? ${p.name})) (map (s: let w = lib.splitString "." s; in { section = builtins.head w; name = lib.last w; }) [
      "strings.levenshtein" "strings.levenshteinAtMost" "strings.escapeNixIdentifier" "strings.escapeNixString"
      "strings.normalizePath" "strings.sanitizeDerivationName" "strings.commonPrefixLength" "strings.charToInt"
      "lists.commonPrefix" "lists.findFirstIndex" "modules.importApply" "modules.mergeAttrDefinitionsWithPrio"
      "modules.defaultOverridePriority" "options.showDefs" "options.renderOptionValue" "attrsets.unionOfDisjoint"
      "trivial.release" "trivial.codeName" "trivial.oldestSupportedRelease" "asserts.assertEachOneOf"
      "generators.toPretty" "debug.throwTestFailures" "filesystem.listFilesRecursive" "cli.toGNUCommandLine"
    ]);
    expected = [ ];
  };
  # Names nixpkgs no longer has, and the lib's own helpers: nowhere in lib.
  notPublic = {
    expr = lib.filter (n: lib ? ${n} || lib.attrsets ? ${n} || lib.options ? ${n} || lib.lists ? ${n} || lib.modules ? ${n}) [
      "mapAttrsFlatten" "literalExample" "mkPackageOptionMD" "optionsToList" "showValue"
      "showDefLocation" "defaultPriority" "imap0Unused"
    ] ++ lib.filter (n: lib.types ? ${n}) [ "string" "isStringLike" ];
    expected = [ ];
  };
  # Section names are not functions at the top by accident (lib.strings has no sections).
  noSectionsInsideStrings = { expr = [ (lib.strings ? generators) (lib.strings ? versions) (lib.trivial ? fix) (lib.trivial ? assertMsg) ]; expected = [ false false false false ]; };
  # The IPv4/IPv6 helpers are nixmesh's own, imported by path: no name of theirs may be in
  # lib (nixpkgs' `lib.network` is an unrelated IPv6 parser).
  networkNotInLib = { expr = [ (lib ? network) (lib ? nthHost) (lib ? isIP) (lib ? cidrContains) ]; expected = [ false false false false ]; };
  topLevelIsSectionValue = { expr = [ (lib.concatStringsSep "," [ "a" ]) (lib.strings.concatStringsSep "," [ "a" ]) (lib.lists.range 1 2) (lib.options.showOption [ "a" ]) (lib.showOption [ "a" ]) ]; expected = [ "a" "a" [ 1 2 ] "a" "a" ]; };
  versionsSection = { expr = [ (lib.versions.majorMinor "2.8.0") (lib.versions.compareVersions "1" "2") ]; expected = [ "2.8" (-1) ]; };
  # lib.extend, as nixpkgs' lib (the extension sees the extended lib as `final`).
  extend = {
    expr = let l = lib.extend (final: prev: { answer = final.id 42; }); in [ l.answer (l.extend (_: prev: { answer = prev.answer + 1; })).answer (lib ? answer) ];
    expected = [ 42 43 false ];
  };
  # The names the module system and the framework rely on.
  commonNamesExist = {
    expr = lib.filter (n: !(lib ? ${n})) [
      "id" "const" "flip" "pipe" "concat" "or" "and" "boolToString" "mergeAttrs" "isFunction"
      "functionArgs" "setFunctionArgs" "mirrorFunctionArgs" "toFunction" "min" "max" "mod"
      "warn" "warnIf" "throwIf" "throwIfNot" "info" "showWarnings" "inNixShell"
      "isInOldestRelease" "version" "toHexString" "toBaseDigits" "importJSON"
      "pathExists" "seq" "deepSeq" "fix" "assertMsg" "assertOneOf"
      "foldr" "foldl" "foldl'" "imap0" "imap1" "concatMap" "flatten" "remove" "findSingle"
      "findFirst" "any" "all" "count" "optional" "optionals" "toList"
      "forEach" "filter" "elem" "range" "replicate" "partition" "groupBy" "groupBy'"
      "zipListsWith" "zipLists" "reverseList" "listDfs" "toposort" "sort" "sortOn"
      "naturalSort" "compareLists" "take" "drop" "sublist" "last" "init" "head" "tail"
      "elemAt" "length" "unique" "uniqueStrings" "allUnique" "intersectLists"
      "subtractLists" "mutuallyExclusive" "crossLists" "ifilter0" "genList" "singleton"
      "concatStrings" "concatMapStrings" "concatImapStrings" "intersperse" "concatStringsSep"
      "concatMapStringsSep" "concatImapStringsSep" "concatLines" "makeSearchPath"
      "optionalString" "hasPrefix" "hasSuffix" "hasInfix" "stringToCharacters"
      "stringAsChars" "escape" "escapeShellArg" "escapeShellArgs" 
      "escapeRegex" "toUpper" "toLower" "addContextFrom" "splitString" "removePrefix"
      "removeSuffix" "versionOlder" "versionAtLeast" "getName" "getVersion" "enableFeature"
      "fixedWidthString" "fixedWidthNumber" "toInt" "toIntBase10" "isStringLike"
      "isStorePath" "isValidPosixName" "trim" "match" "replaceStrings" "substring"
      "stringLength" "readFile" "lowerChars" "upperChars" "toJSON" "fromJSON"
      "escapeXML" 
      "attrByPath" "hasAttrByPath" "setAttrByPath" "getAttrFromPath" "attrVals"
      "attrValues" "getAttrs" "catAttrs" "filterAttrs" "filterAttrsRecursive" "foldAttrs"
      "foldlAttrs" "collect" "nameValuePair" "mapAttrs" "mapAttrs'" "mapAttrsToList"
      "concatMapAttrs" "mapAttrsRecursive" "mapAttrsRecursiveCond" "genAttrs"
      "isDerivation" "toDerivation" "optionalAttrs" "zipAttrsWithNames" "zipAttrsWith"
      "zipAttrs" "recursiveUpdateUntil" "recursiveUpdate" "matchAttrs" "overrideExisting"
      "showAttrPath" "getOutput" "updateManyAttrsByPath" "listToAttrs" "attrNames"
      "removeAttrs" "cartesianProduct"
      
    ];
    expected = [ ];
  };
}
