{ lib, ... }: {
  list = lib.mkMerge [
    (lib.mkAfter [ "last" ])
    (lib.mkBefore [ "first" ])
    (lib.mkOrder 700 [ "early" ])
    [ "middle" ]
  ];
  lines = lib.mkMerge [ (lib.mkAfter "z") "m" (lib.mkBefore "a") ];
}
