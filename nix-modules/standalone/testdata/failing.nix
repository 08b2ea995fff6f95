{
  networking.hostName = "failing";
  environment.etc."nixmesh-test/kept".text = "x\n";
  system.activationScripts.good = "true";
  system.activationScripts.broken-step = { deps = [ "good" ]; text = "echo about to fail; exit 7"; };
}
