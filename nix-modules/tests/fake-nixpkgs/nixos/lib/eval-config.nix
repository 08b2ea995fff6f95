# A stand-in for nixpkgs' nixos/lib/eval-config.nix, for tests only. It is faithful where
# nixmesh meets NixOS: the options the cross-host modules set are declared with NixOS's
# own types, defaults, merge rules and assertions (modules/*.nix, written from reading
# nixpkgs' nixos/modules), and nothing is freeform. Its lib is nixpkgs' real lib: the
# tests assemble a directory whose `lib' is the checkout NIXMESH_NIXPKGS_LIB names and
# whose `nixos' is this folder (internal/testutil.StandInNixpkgs), so ../../lib below is
# never nixmesh's bundled lib.
{ system ? builtins.currentSystem, modules, specialArgs ? { }, prefix ? [ ], ... }:
let
  lib = import ../../lib;
in
lib.evalModules {
  inherit prefix;
  specialArgs = { inherit system; } // specialArgs;
  modules = [
    ../modules/base.nix
    ../modules/users.nix
    ../modules/ssh.nix
    ../modules/sudo.nix
    ../modules/doas.nix
    ../modules/wireguard.nix
    ../modules/nsd.nix
    ../modules/networking.nix
    ../modules/etc.nix
    ../modules/activation.nix
    ../modules/activatable.nix
    ../modules/sysctl.nix
    # No packages, only the platform they are built for (nixpkgs.hostPlatform, else
    # the system evaluated for), as a NixOS system's pkgs.stdenv.hostPlatform names it.
    ({ config, ... }: {
      _module.args.pkgs.stdenv.hostPlatform.system =
        if config.nixpkgs.hostPlatform != null then config.nixpkgs.hostPlatform
        else if system != null then system else builtins.currentSystem;
    })
  ] ++ modules;
}
