# A deployment in the shape the framework returns (plan + systems), written by hand so the
# CLI's deploy can be tested against test sshd hosts before and beside the framework.
# ports and hostKeys are comma-separated, one entry per node (web0, web1, ...).
{ ports, hostKeys, ctl, successTimeout ? "5" }:
let
  lib = {
    split = s: builtins.filter builtins.isString (builtins.split "," s);
  };
  portList = lib.split ports;
  keyList = lib.split hostKeys;
  system = import ../toplevel.nix { inherit ctl; };
  node = i: {
    name = "web${toString i}";
    enable = true;
    kind = "standalone";
    host = "root@127.0.0.1";
    user = "root";
    hostname = "127.0.0.1";
    port = builtins.fromJSON (builtins.elemAt portList i);
    sshOptions = [ ];
    privilegeEscalationCommand = [ "sudo" "-n" ];
    tags = [ "web" ];
    successTimeout = builtins.fromJSON successTimeout;
    switchTimeout = 5;
    configuration = { };
  };
  indexed = f: builtins.listToAttrs (builtins.genList (i: { name = "web${toString i}"; value = f i; }) (builtins.length portList));
in
{
  plan = {
    version = 1;
    nodes = indexed node;
    network.ssh = indexed (i: { hostKeys = [ (builtins.elemAt keyList i) ]; });
  };
  systems = indexed (i: system);
}
