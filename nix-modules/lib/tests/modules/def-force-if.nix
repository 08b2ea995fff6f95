{ lib, ... }: {
  str = lib.mkIf true (lib.mkForce "forced-in-if");
}
