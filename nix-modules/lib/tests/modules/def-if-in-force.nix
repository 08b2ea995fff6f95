{ lib, ... }: {
  # mkIf inside mkForce: at an option, NixOS takes the mkIf as the value (a type error).
  int = lib.mkForce (lib.mkIf false 1);
}
