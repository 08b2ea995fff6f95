# A definition weaker than the option default (priority 2000 > 1500) loses to it.
{ lib, ... }: {
  int = lib.mkOverride 2000 99;
  list = lib.mkOverride 2000 [ "weak" ];
}
