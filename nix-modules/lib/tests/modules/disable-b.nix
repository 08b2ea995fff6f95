{
  disabledModules = [ ./imports-b.nix ];
}
