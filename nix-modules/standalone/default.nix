# Evaluates a standalone host (any Linux machine with Nix, no NixOS): the host's modules
# together with the NixOS-subset schema (schema/) and the toplevel (toplevel.nix).
#
# Type: { lib, system ? null } -> { modules : [ module ], specialArgs ? attrs, prefix ? [ str ] }
#   -> evalModules result
# (system: the hosts' platform, for their toplevels; null: builtins.currentSystem, which
# a flake's pure evaluation does not have; prefix: the option path the host's options are
# shown under in messages, `[ "nodes" name "configuration" ]` for a node)
#
# `config.system.build.toplevel` is the system to activate. When `specialArgs.name` is
# given (nixmesh passes the node name), it becomes `system.name`.
#
# Example:
#   (import ./standalone { inherit lib; } { modules = [ { networking.hostName = "web"; } ]; })
#     .config.system.build.toplevel
{ lib, system ? null }:
{ modules, specialArgs ? { }, prefix ? [ ] }:
lib.evalModules {
  inherit prefix;
  specialArgs = { hostSystem = system; } // specialArgs;
  modules =
    import ./schema
    ++ [ ./toplevel.nix ]
    ++ lib.optional (specialArgs ? name) { system.name = lib.mkDefault specialArgs.name; }
    ++ modules;
}
