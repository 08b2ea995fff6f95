{
  int = 6;
  str = "x";
  list = [ "b" "c" ];
}
