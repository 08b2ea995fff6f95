{
  count = 3;
  wrong = "not an int";
}
