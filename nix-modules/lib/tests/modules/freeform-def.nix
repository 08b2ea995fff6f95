{ lib, ... }: {
  known = 2;
  unknown.deep = "x";
  unknown.other = lib.mkIf true 3;
  sub.extra = true;
}
