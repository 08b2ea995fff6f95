# NixOS hosts: the remote switcher (../scripts/switcher/bin/nixmesh-switch) in the system itself, as
# bin/nixmesh-switch of the toplevel, where standalone toplevels have it too; both front
# doors run SYSTEM/bin/nixmesh-switch. default.nix adds this module to every NixOS node.
# `system.systemBuilderCommands` is NixOS's hook for extra steps in the toplevel's builder;
# ours come after NixOS's own (mkAfter), whose switchable system creates bin/ with a
# plain `mkdir` that fails where bin/ exists already.
#
# It also records the NIXOS-SUBSET projection of the configuration as
# $out/nixmesh-config.json (what the plan shows for the node), so that `nixmesh diff` can
# compare a running NixOS system with the deployment, as it does config.json of a
# standalone one.
#
# And it refuses a system that could not be switched to: NixOS builds one without
# bin/switch-to-configuration when `system.switch.enable` (23.11 and later) or
# `system.activatable` (23.05 and later) is false, for images that are never switched;
# nixmesh activates, and rolls back, with it. (Options the node's NixOS lacks are not
# read.)
{ config, lib, options, ... }:
let
  cross = import ../modules/cross/lib.nix { inherit lib; };
  turnedOff = path:
    let option = lib.attrByPath path null options; in
    lib.optional (lib.isOption option && option.isDefined && !option.value) {
      assertion = false;
      message = "${cross.showPath option.loc}${cross.inFiles (cross.definitionFiles option)} is false, so this NixOS system has no bin/switch-to-configuration: nixmesh switches a NixOS host to a new system, and back, with it. Remove the definition (or leave this system to another way of installing it).";
    };
  switcher = builtins.path { path = ../scripts/switcher/bin/nixmesh-switch; name = "nixmesh-switch"; };
  recorded = builtins.toJSON (import ../modules/nixos-subset.nix { inherit lib; } config);
in
{
  assertions = turnedOff [ "system" "switch" "enable" ] ++ turnedOff [ "system" "activatable" ];

  system.systemBuilderCommands = lib.mkAfter ''
    mkdir -p $out/bin
    cp ${switcher} $out/bin/nixmesh-switch
    chmod 0555 $out/bin/nixmesh-switch
    cat > $out/nixmesh-config.json <<'NIXMESH_CONFIG_JSON_END'
    ${recorded}
    NIXMESH_CONFIG_JSON_END
  '';
}
