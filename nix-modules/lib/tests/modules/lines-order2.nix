{ lib, ... }: {
  lines = lib.mkAfter "bottom";
}
