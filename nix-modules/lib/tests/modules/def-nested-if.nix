{ lib, ... }: {
  nested = lib.mkIf true { a = 12; };
}
