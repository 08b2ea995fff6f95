{ lib, ... }: {
  lines = lib.mkMerge [ "middle" (lib.mkBefore "top") ];
}
