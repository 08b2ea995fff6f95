{
  host.n = 4;
}
