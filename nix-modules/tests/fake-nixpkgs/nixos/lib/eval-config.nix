# A stand-in for nixpkgs' nixos/lib/eval-config.nix, so that the NixOS code path of
# default.nix and plan.nix can be tested without nixpkgs (good/nixos-kind.nix). It takes
# the same arguments and mimics the NixOS traits the plan must cope with: options
# outside the NIXOS-SUBSET subtrees, users with more attributes than the subset, etc
# entries whose `source` is derived from `text` (here: a throw, to prove the plan does
# not read it), and an activationScripts `apply` that adds the assembled `script`.
{ system ? builtins.currentSystem, modules, specialArgs ? { }, ... }:
let
  lib = import ../../lib;
  inherit (lib) mkOption types;

  nixosLike = { config, ... }: {
    freeformType = types.lazyAttrsOf types.anything;

    options.system.activationScripts = mkOption {
      type = types.attrsOf (types.either types.str (types.submodule {
        options.text = mkOption { type = types.lines; };
        options.deps = mkOption { type = types.listOf types.str; default = [ ]; };
        options.supportsDryActivation = mkOption { type = types.bool; default = false; };
      }));
      default = { };
      apply = set: set // { script = "#!/bin/sh\n# every snippet, assembled\n"; };
    };

    options.environment.etc = mkOption {
      type = types.attrsOf (types.submodule ({ name, config, ... }: {
        options.enable = mkOption { type = types.bool; default = true; };
        options.text = mkOption { type = types.nullOr types.lines; default = null; };
        options.source = mkOption { type = types.str; };
        options.mode = mkOption { type = types.str; default = "symlink"; };
        options.user = mkOption { type = types.str; default = "+0"; };
        options.group = mkOption { type = types.str; default = "+0"; };
        options.target = mkOption { type = types.str; default = name; };
        config.source = lib.mkIf (config.text != null) (throw "the plan read environment.etc.${name}.source, a derivation in NixOS");
      }));
      default = { };
    };

    options.users.users = mkOption {
      type = types.attrsOf (types.submodule {
        options.isNormalUser = mkOption { type = types.bool; default = false; };
        options.uid = mkOption { type = types.nullOr types.int; default = null; };
        options.shell = mkOption { type = types.str; default = "/run/current-system/sw/bin/bash"; };
        options.openssh.authorizedKeys.keys = mkOption { type = types.listOf types.str; default = [ ]; };
      });
      default = { };
    };

    options.networking.hostName = mkOption { type = types.str; default = "nixos"; };

    options.system.build = mkOption { type = types.lazyAttrsOf types.unspecified; default = { }; };

    options.assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    options.warnings = mkOption { type = types.listOf types.str; default = [ ]; };

    # NixOS's hook for extra steps in the toplevel's builder (nixmesh adds the switcher).
    options.system.systemBuilderCommands = mkOption { type = types.lines; default = ""; internal = true; };

    config.system.build.toplevel = derivation {
      name = "fake-nixos-system-${config.networking.hostName}";
      inherit system;
      builder = "/bin/sh";
      args = [ "-c" ''
        export PATH=/usr/bin:/bin
        mkdir -p $out/bin
        echo fake > $out/fake
        ${config.system.systemBuilderCommands}
      '' ];
    };
  };
in
lib.evalModules {
  inherit specialArgs;
  modules = [ nixosLike ] ++ modules;
}
