# The bundled library: a from-scratch, nixpkgs-compatible subset of `lib`.
# Each file is a function `{ lib }: { ... }`; this file ties them into one fixpoint, so
# every file can use every other through `lib`. Names are exported both under their
# section (`lib.strings.concatStringsSep`) and at the top (`lib.concatStringsSep`), as
# nixpkgs does. Only `types` stays a section of its own (`lib.types.str`).
#
# ./network.nix (IPv4/IPv6/CIDR helpers) is NOT part of this lib: nixpkgs has no such
# helpers (its own `lib.network`, since 2024, is an unrelated IPv6 parser), so a name here
# would let user modules depend on something real nixpkgs lacks. The framework imports it
# by path (modules/cross/lib.nix: `cross.network`).
let
  sections = {
    trivial = ./trivial.nix;
    lists = ./lists.nix;
    strings = ./strings.nix;
    attrsets = ./attrsets.nix;
    options = ./options.nix;
    modules = ./modules.nix;
    types = ./types.nix;
  };

  lib =
    let
      loaded = builtins.mapAttrs (_: file: import file { inherit lib; }) sections;
    in
    loaded
    // loaded.trivial
    // loaded.lists
    // loaded.strings
    // loaded.attrsets
    // loaded.options
    // loaded.modules
    // { inherit (loaded) types; };
in
lib
