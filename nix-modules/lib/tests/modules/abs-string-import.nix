{
  imports = [ (toString ./imports-c.nix) ];
}
