{
  plan = 1
  b = 2;
}
