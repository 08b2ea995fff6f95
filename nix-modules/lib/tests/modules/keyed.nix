{
  imports = [
    { key = "shared"; list = [ "keyed" ]; }
    { key = "shared"; list = [ "keyed" ]; }
    { list = [ "anon" ]; }
    { list = [ "anon" ]; }
  ];
}
