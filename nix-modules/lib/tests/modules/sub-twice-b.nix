{ lib, ... }: {
  options.twice = lib.mkOption {
    type = lib.types.submodule { config.l = [ "decl-b" ]; };
  };
  config.twice.l = [ "def" ];
}
