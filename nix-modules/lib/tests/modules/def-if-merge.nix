{ lib, ... }: {
  config = lib.mkMerge [
    (lib.mkIf true { list = [ "yes" ]; })
    (lib.mkIf false { list = [ "no" ]; })
    { list = lib.mkIf true [ "inner" ]; }
    (lib.mkMerge [ { nested.a = 11; } ])
  ];
}
