{ lib, ... }: {
  nested = lib.mkBefore { a = 1; };
}
