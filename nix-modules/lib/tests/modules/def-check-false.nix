{
  _module.check = false;
  nosuch.deep = 1;
  int = 13;
}
