# The bundled library: a from-scratch, nixpkgs-compatible subset of `lib`.
# Each file is a function `{ lib }: { ... }`; this file ties them into one fixpoint, so
# every file can use every other through `lib`. Names are exported both under their
# section (`lib.strings.concatStringsSep`) and at the top (`lib.concatStringsSep`), as
# nixpkgs does. Only `types` stays a section of its own (`lib.types.str`).
let
  sections = {
    trivial = ./trivial.nix;
    lists = ./lists.nix;
    strings = ./strings.nix;
    attrsets = ./attrsets.nix;
    network = ./network.nix;
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
    // loaded.network
    // loaded.options
    // loaded.modules
    // { inherit (loaded) types; };
in
lib
