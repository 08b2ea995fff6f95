{
  nosuch.deep = 1;
  nested.c = true;
}
