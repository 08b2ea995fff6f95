{
  meta.maintainers = [ "someone" ];
  _class = "nixmesh-test";
  list = [ "meta-ok" ];
}
