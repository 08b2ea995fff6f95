# The bundled library: a from-scratch, nixpkgs-compatible subset of `lib`. This file
# builds it and returns { internal; public; }; ./default.nix is the public one.
#
# Each file is a function `{ lib }: { ... }` that defines one section (or part of one);
# they are tied into one fixpoint, `internal`, in which every name of every file is at the
# top, so the files can use each other through `lib`.
#
# What users get (`import ./nix-modules/lib`, and the `lib` module argument) is `public`:
# the sections and top-level names exactly as nixpkgs' lib has them, so a module written
# against the bundled lib keeps working on real NixOS. A name that nixpkgs keeps only in a
# section (`lib.strings.levenshtein`, `lib.lists.commonPrefix`) is not at the top here
# either; a name nixpkgs no longer has (`mapAttrsFlatten`, `literalExample`,
# `types.string`) or never had (the lib's own helpers) is not public at all. The tests
# compare this surface with nixpkgs' own (nix-modules/lib/tests, real-lib surface test);
# tests/helpers/not-bundled.json lists the names of nixpkgs' lib the bundled one lacks,
# and why (package-set helpers, licences, platforms, lib.fileset, ...).
#
# ./network.nix (IPv4/IPv6/CIDR helpers) is NOT part of this lib: nixpkgs has no such
# helpers (its own `lib.network`, since 2024, is an unrelated IPv6 parser), so a name here
# would let user modules depend on something real nixpkgs lacks. The framework imports it
# by path (modules/cross/lib.nix: `cross.network`).
let
  inherit (builtins) foldl' mapAttrs removeAttrs;

  files = {
    trivial = ./trivial.nix;
    fixedPoints = ./fixed-points.nix;
    asserts = ./asserts.nix;
    debug = ./debug.nix;
    lists = ./lists.nix;
    strings = ./strings.nix;
    attrsets = ./attrsets.nix;
    options = ./options.nix;
    modules = ./modules.nix;
    types = ./types.nix;
    cli = ./cli.nix;
    filesystem = ./filesystem.nix;
    stringsWithDeps = ./strings-with-deps.nix;
  };

  loaded = mapAttrs
    (name: file: import file ({ lib = internal; } // (if name == "modules" then { publicLib = public; } else { })))
    files;

  # The order the sections are laid over each other at the top (a later one wins)...
  flatOrder = [ "trivial" "fixedPoints" "asserts" "debug" "lists" "strings" "attrsets" "options" "modules" "filesystem" "stringsWithDeps" "cli" ];
  # ...and the names two sections define differently, which the top takes as nixpkgs does.
  topChoice = {
    inherit (loaded.lists) replicate;
    inherit (loaded.strings) hasPrefix removePrefix;
    inherit (loaded.trivial) importJSON importTOML; # lib.modules' are modules
  };
  flat = foldl' (acc: s: acc // loaded.${s}) { } flatOrder // topChoice;

  internal = flat // loaded // {
    inherit (loaded.strings) generators versions;
  };

  # --- the public surface -----------------------------------------------------------------

  # Names a file defines that nixpkgs' section of that name does not have: the lib's own
  # helpers, and names nixpkgs has removed.
  private = {
    trivial = [ "isPath" "typeOf" ];
    lists = [ "imap" ];
    strings = [ "generators" "versions" "hasContext" "splitVersion" ];
    attrsets = [ "cartesianProductOfSets" "mapAttrsFlatten" ];
    options = [ "defaultTypeMerge" "isOptionType" "isType" "literalExample" "mkOptionType" "mkPackageOptionMD"
      "optionsToList" "setType" "showDefLocation" "showValue" "toPretty" ];
    modules = [ "defaultPriority" "checkV2MergeCoherence" "mergePlainV2" "mergePlainV2Value" ];
    types = [ "isStringLike" "string" ];
  };

  # Names nixpkgs' section has that another of the files defines.
  borrowed = {
    types = { inherit (loaded.options) isType setType; types = publicSections.types; };
    versions = { inherit (builtins) compareVersions; };
  };

  # Names at the top of `internal` that nixpkgs keeps only in a section, or has not.
  notAtTop = [
    "assertEachOneOf" "checkAssertWarn" "codeName" "oldestSupportedRelease" "release" "revisionWithDefault" "versionSuffix"
    "commonPrefix" "findFirstIndex" "escapeNixIdentifier" "escapeNixString" "levenshtein" "levenshteinAtMost"
    "normalizePath" "sanitizeDerivationName" "storeDir" "charToInt" "escapeC" "floatToString" "isConvertibleWithToString"
    "commonPrefixLength" "commonSuffixLength"
    "defaultOrderPriority" "defaultOverridePriority" "filterOverrides'" "importApply" "mergeAttrDefinitionsWithPrio"
    "mkAliasAndWrapDefsWithPriority" "mkAliasIfDef" "renderOptionValue" "showDefs" "unionOfDisjoint"
    "longestValidPathPrefix" "throwTestFailures" "locateDominatingFile" "listFilesRecursive" "resolveDefaultNix"
    "toGNUCommandLine" "toGNUCommandLineShell" "toCommandLine" "toCommandLineGNU" "toCommandLineShell" "toCommandLineShellGNU"
    # the lib's own, or gone from nixpkgs
    "cartesianProductOfSets" "mapAttrsFlatten" "literalExample" "mkPackageOptionMD" "optionsToList" "showDefLocation"
    "showValue" "toPretty" "defaultPriority" "literalCode" "checkV2MergeCoherence" "mergePlainV2" "mergePlainV2Value"
    # nixpkgs has it in lib.modules only
    "mapDefinitionValue"
  ];

  publicSections =
    mapAttrs (s: attrs: removeAttrs attrs (private.${s} or [ ]) // (borrowed.${s} or { })) loaded
    // {
      types = removeAttrs loaded.types private.types // borrowed.types;
      generators = loaded.strings.generators;
      versions = loaded.strings.versions // borrowed.versions;
    };

  # nixpkgs' lib is extensible (`lib.extend (final: prev: { ... })`); an extension changes
  # what users see, not the functions the bundled lib's own code calls.
  extensible = rattrs:
    let self = rattrs self // { extend = f: extensible (internal.fixedPoints.extends f rattrs); }; in self;
  public = extensible (_: removeAttrs flat notAtTop // publicSections // {
    inherit (builtins) fromTOML getContext hashString placeholder toFile toString toXML tryEval;
    inherit (loaded.types) defaultFunctor;
  });
in
{ inherit internal public; }
