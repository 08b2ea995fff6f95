{ lib, ... }: {
  _file = "virtual-structured.nix";
  imports = [ ];
  options.structured = lib.mkOption { type = lib.types.int; };
  config.structured = 1;
  config.list = [ "structured" ];
}
