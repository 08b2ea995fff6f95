# A deployment in the shape the framework returns (plan, systems, and the engine's
# nodeIndex, forNodes and connectionPlan from eval/testdata/engine-views.nix), by hand so the
# CLI's deploy can be tested against test sshd hosts before and beside the framework.
# ports and hostKeys are comma-separated, one entry per node (web0, web1, ...).
# secretFile and secretPath, when set, give web0 a secret read from that file;
# serialsFile, when set, adds the zones lab.test (primary web0) and other.test (primary
# web1) with that DNS serial state file.
{ ports, hostKeys, ctl, successTimeout ? "5", secretFile ? "", secretPath ? "", serialsFile ? "" }:
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
  standIn = rec {
  plan = {
    version = 1;
    nodes = indexed node;
    network = {
      ssh = indexed (i: { hostKeys.ed25519 = builtins.elemAt keyList i; });
    } // (if secretFile == "" then { } else {
      secrets.web0.tok = {
        name = "tok";
        source = { kind = "file"; file = secretFile; };
        path = secretPath;
        owner = "root";
        group = "root";
        mode = "0400";
        uploadAt = "pre-activation";
        restartOnChange = [ ];
      };
    }) // (if serialsFile == "" then { } else {
      dns = {
        inherit serialsFile;
        zones = {
          "lab.test" = { name = "lab.test"; primaryNode = "web0"; secondaryNodes = [ ]; ttl = 300; serial = 7; contentHash = "hash-of-lab.test"; files = [ ]; };
          "other.test" = { name = "other.test"; primaryNode = "web1"; secondaryNodes = [ ]; ttl = 300; serial = 2; contentHash = "hash-of-other.test"; files = [ ]; };
        };
        records = [ ];
        addresses = { };
      };
    });
  };
  systems = indexed (i: system);
};
in
import ../../../eval/testdata/engine-views.nix { inherit (standIn) plan systems; } // standIn
