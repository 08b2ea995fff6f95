# The rest of what a NixOS evaluation has: assertions and warnings, system.build and the
# toplevel (which, as NixOS's, refuses to build while an assertion fails), the builder
# hook nixmesh uses, and a few options every real configuration sets (loosely typed:
# the cross-host modules never set them). Like NixOS, and unlike a standalone host,
# the evaluation is NOT freeform: an option that does not exist here is an error.
{ config, lib, system, ... }:
let
  inherit (lib) mkOption types;
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
  loose = description: mkOption { type = types.attrsOf types.anything; default = { }; inherit description; };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; internal = true; description = "Conditions the system must meet."; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; internal = true; description = "Messages printed on evaluation."; };
    system.build = mkOption { type = types.lazyAttrsOf types.unspecified; default = { }; description = "Build products."; };
    system.systemBuilderCommands = mkOption { type = types.lines; default = ""; internal = true; description = "More commands of the toplevel's builder."; };
    system.stateVersion = mkOption { type = types.str; default = "24.05"; description = "The release the state was created with."; };
    system.name = mkOption { type = types.str; default = if config.networking.hostName == "" then "unnamed" else config.networking.hostName; description = "The system's name."; };
    boot.loader = loose "Boot loader settings.";
    fileSystems = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; description = "Mounted file systems."; };
    services.nginx = loose "nginx (not modelled here).";
    nixpkgs.hostPlatform = mkOption { type = types.nullOr types.str; default = null; description = "The host platform."; };
    environment.systemPackages = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "Installed packages."; };
  };

  config.system.build.toplevel =
    if failed != [ ] then throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
    else derivation {
      name = "fake-nixos-system-${config.system.name}";
      inherit system;
      # As NixOS's toplevel holds its activation script, snippets and all.
      activate = config.system.activationScripts.script;
      # NixOS's modules read system.stateVersion while the system is evaluated (to pick
      # their defaults), so a value of the wrong type stops it there too.
      stateVersion = config.system.stateVersion;
      # What NixOS's firewall service holds (networking.nix).
      firewall = config.system.build.firewallRules or "";
      # And /etc/sudoers (sudo.nix).
      sudoers = config.system.build.sudoers or "";
      # And /etc/doas.conf (doas.nix).
      doasConf = config.system.build.doasConf or "";
      builder = "/bin/sh";
      args = [ "-c" ''
        # As stdenv's builder does, stop at the first failing command.
        set -eu
        export PATH=/usr/bin:/bin
        mkdir $out
        echo fake > $out/fake
        printf '%s' "$activate" > $out/activate
        ${config.system.systemBuilderCommands}
      '' ];
    };
}
