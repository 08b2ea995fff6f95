{ lib, ... }: {
  attrs = { a = 1; b = lib.mkIf false 2; c = lib.mkIf true 3; };
  lazy = { a = 1; b = lib.mkIf false 2; };
  list = [ "x" (lib.mkIf false "dropped") (lib.mkIf true "kept") ];
}
