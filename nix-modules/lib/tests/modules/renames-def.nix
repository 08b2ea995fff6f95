{ lib, ... }: {
  oldInt = lib.mkDefault 33;
  aliasStr = "via-alias";
}
