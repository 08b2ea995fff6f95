{ lib, ... }: {
  config = lib.mkDefault { int = 8; str = "from-default-set"; };
}
