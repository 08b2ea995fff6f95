{
  first = "a";
  second = "b";
  count = 21;
}
