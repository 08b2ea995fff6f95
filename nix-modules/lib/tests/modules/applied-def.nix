{
  applied = 4;
}
