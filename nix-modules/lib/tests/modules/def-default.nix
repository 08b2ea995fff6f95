{ lib, ... }: {
  int = lib.mkDefault 7;
  str = lib.mkDefault "default-str";
}
