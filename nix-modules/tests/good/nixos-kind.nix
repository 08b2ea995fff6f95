# The NixOS code path, against the faithful stand-in for a nixpkgs checkout (nixpkgs'
# real lib + tests/fake-nixpkgs/nixos, assembled by the test): good_test.go,
# TestNixOSKind, says what the plan must look like.
{ nixpkgs }:
import ../../default.nix { inherit nixpkgs; } ({ config, ... }: {
  defaults = { name, ... }: { configuration.networking.hostName = name; };

  nodes.alpha = {
    host = "root@198.18.0.21";
    configuration = { name, nodes, ... }: {
      users.users.ops = { isNormalUser = true; uid = 1001; openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIINmKM1T5zOF/8QQOIZRbYDO9J27AB0zzu0ip0scbW9h ops" ]; };
      environment.etc."peer".text = "${nodes.beta.config.networking.hostName}\n";
      environment.etc."static".source = "/nix/store/00000000000000000000000000000000-static";
      environment.etc."off" = { enable = false; text = "never\n"; };
      system.activationScripts.greet = "echo ${name}";
      system.activationScripts.after = { text = "true"; deps = [ "greet" ]; };
      services.nginx.enable = true; # outside the subset: not in the plan
      boot.kernel.sysctl."vm.swappiness" = 10;
    };
  };

  nodes.beta.host = "beta.lab.test";
})
