# What makes a NixOS system switchable, as NixOS (23.11 and later) declares it: the
# activatable system (nixos/modules/system/activation/activatable-system.nix) adds the
# activation script and then `system.activatableSystemBuilderCommands' to the toplevel's
# builder, and the switchable one (switchable-system.nix) adds bin/switch-to-configuration
# there, creating bin/ with a plain `mkdir' (which fails where bin/ exists already: a
# module that writes into $out/bin must come after it). `system.activatable = false' or
# `system.switch.enable = false' builds a system without bin/switch-to-configuration.
# The stand-in's switch-to-configuration only records what it was asked.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options = {
    system.activatable = mkOption { type = types.bool; default = true; description = "Whether the system carries its activation script."; };
    system.switch.enable = mkOption { type = types.bool; default = true; description = "Whether the system can be switched to (bin/switch-to-configuration)."; };
    system.activatableSystemBuilderCommands = mkOption { type = types.lines; default = ""; internal = true; description = "Builder commands of an activatable system."; };
  };

  config = {
    system.systemBuilderCommands = lib.mkIf config.system.activatable ''
      echo '#!/bin/sh' > $out/activate
      chmod u+x $out/activate
      ${config.system.activatableSystemBuilderCommands}
    '';
    system.activatableSystemBuilderCommands = lib.mkIf config.system.switch.enable ''
      mkdir $out/bin
      printf '#!/bin/sh\necho "stand-in switch-to-configuration $*"\n' > $out/bin/switch-to-configuration
      chmod +x $out/bin/switch-to-configuration
    '';
  };
}
