{ lib, ... }: {
  config = lib.mkMerge [
    (lib.mkIf true {
      nested.a = "not an int";
    })
  ];
}
