{
  _file = "virtual.nix";
  int = 21;
}
