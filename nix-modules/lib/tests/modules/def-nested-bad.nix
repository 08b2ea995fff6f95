{
  nested = 5;
}
