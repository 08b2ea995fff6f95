# A synthetic network for benchmarking the evaluation: N standalone nodes, each with a
# few users (with SSH keys), managed files, hosts entries and an activation script, plus
# defaults shared by all. Everything a real deployment's evaluation does per node, none
# of it large.
#
#   nix-instantiate --eval --strict --json -A plan nix-modules/bench/network.nix --argstr nodes 500
# `--argstr heavy N` adds to every node a host module of N options (declared, defaulted,
# a hundred of them read into a managed file): a stand-in for the weight of NixOS's
# thousands of options, for the worker benchmark (nix-modules/bench, BenchmarkWorkers).
# `--argstr nixosWeight DIR` imports DIR (a host module written by weight_test.go: a
# nixpkgs-like package set instantiated per node and 1500 NixOS-service-shaped modules)
# into every node: seconds and ~170 MB per node, the weight of a real NixOS
# configuration, for BenchmarkWorkersNixOSWeight.
{ nodes ? "10", heavy ? "0", nixosWeight ? "" }:
let
  count = builtins.fromJSON nodes;
  weight = builtins.fromJSON heavy;

  heavyModule = { lib, config, ... }: {
    options.bench = builtins.listToAttrs (builtins.genList
      (o: {
        name = "option${toString o}";
        value = lib.mkOption { type = lib.types.str; default = "value ${toString o}"; description = "Synthetic option ${toString o}."; };
      })
      weight);
    config.environment.etc."bench/heavy".text = lib.concatMapStrings
      (o: config.bench."option${toString o}" + "\n")
      (builtins.genList (o: o * (weight / 100)) 100);
  };

  mod = a: b: a - (a / b) * b;

  nameOf = i: "node${toString i}";
  addressOf = i: "198.18.${toString (i / 250)}.${toString (1 + mod i 250)}";

  key = who: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIINmKM1T5zOF/8QQOIZRbYDO9J27AB0zzu0ip0scbW9h ${who}";

  node = i: {
    host = "root@${addressOf i}";
    tags = [ "bench" "rack${toString (mod i 10)}" ];
    configuration = {
      users.users = builtins.listToAttrs (builtins.genList
        (u: {
          name = "user${toString u}";
          value = {
            isNormalUser = true;
            uid = 1000 + u;
            home = "/home/user${toString u}";
            createHome = true;
            openssh.authorizedKeys.keys = [ (key "user${toString u}@node${toString i}") ];
          };
        }) 3);
      environment.etc = builtins.listToAttrs (builtins.genList
        (f: {
          name = "bench/file${toString f}";
          value = { text = "node ${toString i} file ${toString f}\n"; mode = "0444"; };
        }) 3);
      # Each node knows its two neighbours.
      networking.hosts = {
        ${addressOf (mod (i + 1) count)} = [ (nameOf (mod (i + 1) count)) ];
        ${addressOf (mod (i + count - 1) count)} = [ (nameOf (mod (i + count - 1) count)) ];
      };
      system.activationScripts.bench = {
        text = "mkdir -p /var/lib/bench";
        deps = [ ];
      };
    };
  };
in
import ../default.nix { } {
  defaults = { name, ... }: {
    successTimeout = 30;
    configuration = {
      imports = (if weight > 0 then [ heavyModule ] else [ ])
        ++ (if nixosWeight != "" then [ (/. + nixosWeight + "/default.nix") ] else [ ]);
      networking.hostName = name;
      users.users.operator = {
        isNormalUser = true;
        uid = 1999;
        openssh.authorizedKeys.keys = [ (key "operator@laptop") ];
      };
      environment.etc.motd.text = "${name} is managed by nixmesh\n";
      boot.kernel.sysctl."net.ipv4.ip_forward" = 0;
    };
  };

  nodes = builtins.listToAttrs (builtins.genList (i: { name = nameOf i; value = node i; }) count);
}
