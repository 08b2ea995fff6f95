{ lib, ... }: {
  host = { name = "from-def"; };
  hostResult = lib.mkDefault null;
}
