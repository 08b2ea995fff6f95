{
  imports = [ ./imports-b.nix ./imports-c.nix ];
  list = [ "from-d" ];
}
