{
  imports = [ ./imports-b.nix ./imports-b.nix ./imports-d.nix ];
  list = [ "from-a" ];
}
