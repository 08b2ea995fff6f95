{ lib, ... }: {
  int = lib.mkIf true [ 1 2 ];
}
