# A small deployment exercising nodes.nix and plan.nix; good_test.go says what its plan
# must look like.
import ../../default.nix { } ({ config, lib, ... }: {
  defaults = { name, ... }: {
    tags = [ "all" ];
    configuration.networking.hostName = name;
  };

  nodes.gateway = {
    host = "root@198.18.0.11";
    configuration = {
      users.users.operator = { isNormalUser = true; uid = 1000; };
      # No JSON form: the plan (like config.json) shows "<function>".
      nixpkgs.overlays = [ (final: prev: { }) ];
      # Never forced by the plan: it leaves out system.build.
      system.build.notInPlan = throw "system.build was forced";
    };
  };

  nodes.web = {
    host = "web.lab.test";
    sshOptions = [ "-o" "ProxyJump=gateway" ];
    tags = [ "web" ];
    configuration = { name, nodes, ... }: {
      networking.hosts."198.18.0.11" = [ nodes.gateway.config.networking.hostName ];
      environment.etc."whoami".text = "${name}\n";
      # A derivation that fails if built: the plan shows its path and builds nothing
      # (so web's system cannot be built; the tests build gateway's).
      environment.etc."unbuilt".source = derivation {
        name = "never-built";
        system = builtins.currentSystem;
        builder = "/bin/sh";
        args = [ "-c" "exit 1" ];
      };
    };
  };

  nodes.v6 = {
    host = "deploy@[2001:db8::3]";
    enable = false;
    port = 2222;
    privilegeEscalationCommand = [ "doas" ];
    successTimeout = 5;
    switchTimeout = 7;
  };

  # What a cross-host module would contribute.
  planExtra.network.example = { edges = [ "web->gateway" ]; };
  planExtra.network.other = { n = 1; };

  # Read across nodes at the network level.
  warnings = [ "gateway is ${config.nodes.gateway.config.networking.hostName}" ];
})
