{ lib, ... }: {
  int = lib.mkDefault 8;
}
