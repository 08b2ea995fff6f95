# NixOS hosts: the remote switcher (../scripts/switcher/bin/nixmesh-switch) in the system itself, as
# bin/nixmesh-switch of the toplevel, where standalone toplevels have it too; both front
# doors run SYSTEM/bin/nixmesh-switch. default.nix adds this module to every NixOS node.
# `system.systemBuilderCommands` is NixOS's hook for extra steps in the toplevel's builder.
#
# It also records the NIXOS-SUBSET projection of the configuration as
# $out/nixmesh-config.json (what the plan shows for the node), so that `nixmesh diff` can
# compare a running NixOS system with the deployment, as it does config.json of a
# standalone one.
{ config, lib, ... }:
let
  switcher = builtins.path { path = ../scripts/switcher/bin/nixmesh-switch; name = "nixmesh-switch"; };
  recorded = builtins.toJSON (import ../modules/nixos-subset.nix { inherit lib; } config);
in
{
  system.systemBuilderCommands = ''
    mkdir -p $out/bin
    cp ${switcher} $out/bin/nixmesh-switch
    chmod 0555 $out/bin/nixmesh-switch
    cat > $out/nixmesh-config.json <<'NIXMESH_CONFIG_JSON_END'
    ${recorded}
    NIXMESH_CONFIG_JSON_END
  '';
}
