{
  nodes.bad.port = "x";
}
