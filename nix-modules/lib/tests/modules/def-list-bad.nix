{
  list = [ "a" 1 ];
}
