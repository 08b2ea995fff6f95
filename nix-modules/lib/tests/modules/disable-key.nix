{
  disabledModules = [ { key = "shared"; } "/nonexistent/module.nix" ];
}
