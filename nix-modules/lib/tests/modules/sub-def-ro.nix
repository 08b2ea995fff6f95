{
  nodes.bad.addr = "override";
}
