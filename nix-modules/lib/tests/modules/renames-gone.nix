{
  gone = 1;
}
