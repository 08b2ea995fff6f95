{
  int = "five";
  bool = 1;
}
