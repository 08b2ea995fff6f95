{
  imports = [ "relative.nix" ];
}
