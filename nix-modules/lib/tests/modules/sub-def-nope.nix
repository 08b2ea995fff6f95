{
  nodes.bad.nope = 1;
}
