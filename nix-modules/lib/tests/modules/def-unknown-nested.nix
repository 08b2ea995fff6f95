{
  nested.c = true;
}
