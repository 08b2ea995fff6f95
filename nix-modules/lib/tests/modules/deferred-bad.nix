{
  host.n = "four";
}
