{
  nosuch.deep = 2;
}
