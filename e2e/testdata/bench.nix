# The benchmarks' deployment: one standalone node per host of a lab, each with a few
# managed files. `labHosts` is the file `nixmesh lab up --write-nix` (lab.WriteNix)
# writes: { <host> = { address; port; hostKey; }; ... }.
#
#   nix-build e2e/testdata/bench.nix --arg labHosts /run/.../lab.nix && ./result
#   nixmesh deploy -f e2e/testdata/bench.nix -- --arg labHosts /run/.../lab.nix
{ labHosts }:
let
  hosts = import labHosts;
in
import ../../nix-modules { } ({ lib, ... }: {
  nodes = builtins.mapAttrs
    (name: h: {
      host = "root@${h.address}";
      inherit (h) port;
      configuration = {
        networking.hostName = name;
        networking.hosts = lib.mapAttrs' (n: o: lib.nameValuePair o.address [ n ]) hosts;
        environment.etc."bench/motd".text = "${name}: a benchmark host\n";
        environment.etc."bench/peers".text = lib.concatMapStrings (n: "${n}\n") (builtins.attrNames hosts);
        environment.etc."bench/settings.json".text = builtins.toJSON { inherit name; inherit (h) address; workers = 4; };
        users.users.app = { isSystemUser = true; group = "users"; home = "/var/lib/app"; createHome = true; };
        system.activationScripts.appState = "mkdir -p /var/lib/app/state";
      };
    })
    hosts;

  # The deployer checks each host's key against these.
  ssh.access = builtins.mapAttrs (_: h: { hostKeys.ed25519 = h.hostKey; }) hosts;
})
