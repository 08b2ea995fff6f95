{
  int = 5;
  str = "x";
  list = [ "a" ];
}
