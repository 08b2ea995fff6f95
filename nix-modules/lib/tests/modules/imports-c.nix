{
  list = [ "from-c" ];
}
