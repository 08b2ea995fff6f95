{ lib, ... }: {
  int = lib.mkOptionDefault 3;
  list = lib.mkOptionDefault [ "optdefault" ];
}
