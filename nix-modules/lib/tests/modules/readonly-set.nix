{
  ro = 2;
  roDefault = 3;
}
