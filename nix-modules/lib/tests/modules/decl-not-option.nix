{
  options.weird = 5;
}
