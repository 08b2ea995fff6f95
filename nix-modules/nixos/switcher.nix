# NixOS hosts: the remote switcher (../scripts/switcher/bin/nixmesh-switch) in the system itself, as
# bin/nixmesh-switch of the toplevel, where standalone toplevels have it too; both front
# doors run SYSTEM/bin/nixmesh-switch. default.nix adds this module to every NixOS node.
# `system.systemBuilderCommands` is NixOS's hook for extra steps in the toplevel's builder.
{ ... }:
let
  switcher = builtins.path { path = ../scripts/switcher/bin/nixmesh-switch; name = "nixmesh-switch"; };
in
{
  system.systemBuilderCommands = ''
    mkdir -p $out/bin
    cp ${switcher} $out/bin/nixmesh-switch
    chmod 0555 $out/bin/nixmesh-switch
  '';
}
