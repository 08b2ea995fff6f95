# Evaluates a standalone host (any Linux machine with Nix, no NixOS): the host's modules
# together with the NixOS-subset schema (schema/) and the toplevel (toplevel.nix).
#
# Type: { lib } -> { modules : [ module ], specialArgs ? attrs } -> evalModules result
#
# `config.system.build.toplevel` is the system to activate. When `specialArgs.name` is
# given (nixmesh passes the node name), it becomes `system.name`.
#
# Example:
#   (import ./standalone { inherit lib; } { modules = [ { networking.hostName = "web"; } ]; })
#     .config.system.build.toplevel
{ lib }:
{ modules, specialArgs ? { } }:
lib.evalModules {
  inherit specialArgs;
  modules =
    import ./schema
    ++ [ ./toplevel.nix ]
    ++ lib.optional (specialArgs ? name) { system.name = lib.mkDefault specialArgs.name; }
    ++ modules;
}
