{ lib, ... }: {
  int = lib.mkOverride 75 75;
}
