# Test driver: evaluates one fixture host module with the standalone schema.
#   nix-build build.nix --argstr nixModules /path/to/nix-modules --arg module ./host-a.nix
# -A toplevel (default) | -A notApplied | -A config
{ nixModules, module, name ? "testhost" }:
let
  lib = import (nixModules + "/lib");
  eval = import (nixModules + "/standalone") { inherit lib; } {
    modules = [ module ];
    specialArgs = { inherit name; };
  };
in
{
  toplevel = eval.config.system.build.toplevel;
  notApplied = eval.config.system.build.notApplied;
  inherit (eval) config;
}
