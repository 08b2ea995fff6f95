# mkDefinition: inside it mkOverride and mkOrder work, mkIf does not (NixOS takes it as
# the value); around it mkIf works.
{ lib, ... }: {
  options.viaDef = lib.mkOption { type = lib.types.listOf lib.types.int; default = [ ]; };
  options.ifInDef = lib.mkOption { type = lib.types.int; default = 0; };
  config.viaDef = lib.mkMerge [
    (lib.mkIf true (lib.mkDefinition { file = "generated.nix"; value = lib.mkBefore [ 1 ]; }))
    [ 2 ]
  ];
  config.ifInDef = lib.mkDefinition { file = "generated.nix"; value = lib.mkIf true 5; };
}
