{ lib, ... }: {
  int = lib.mkForce 9;
  list = lib.mkForce [ "forced" ];
}
