{ lib, ... }: {
  int = lib.mkForce (lib.mkIf false 1);
  str = lib.mkIf true (lib.mkForce "forced-in-if");
}
