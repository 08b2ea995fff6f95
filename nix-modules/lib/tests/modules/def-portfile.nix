{
  portFile = 2;
}
