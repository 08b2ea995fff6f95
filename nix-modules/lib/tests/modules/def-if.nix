{ config, lib, ... }: {
  config = lib.mkIf config.bool {
    int = 42;
    list = [ "if" ];
  };
}
