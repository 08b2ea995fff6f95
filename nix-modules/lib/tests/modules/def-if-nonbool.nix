{ lib, ... }: {
  int = lib.mkIf "yes" 1;
}
