{
  imports = [ [ "not a module" ] ];
}
