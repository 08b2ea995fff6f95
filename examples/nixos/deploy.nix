# NixOS nodes. NEEDS NIXPKGS: every node is a full NixOS system, evaluated with nixpkgs'
# nixos/lib/eval-config.nix, and the network with nixpkgs' lib.
#
#   nix-instantiate --eval --strict --json -A plan examples/nixos/deploy.nix -I nixpkgs=/path/to/nixpkgs
#   nix-build examples/nixos/deploy.nix -A systems.alpha -I nixpkgs=/path/to/nixpkgs
#   NIX_PATH=nixpkgs=/path/to/nixpkgs nixmesh eval -f examples/nixos/deploy.nix
#
# The addresses are in 198.18.0.0/24 like the lab's, but the lab's hosts are standalone;
# point `host` at machines that run NixOS before deploying this.
{ nixpkgs ? <nixpkgs> }:
import ../../nix-modules { inherit nixpkgs; } ({ lib, ... }: {
  defaults = { name, ... }: {
    configuration = {
      networking.hostName = name;

      # What any NixOS machine needs to evaluate; adjust to the real hardware.
      boot.loader.grub.devices = [ "nodev" ];
      fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
      system.stateVersion = "24.05";

      services.openssh.enable = true;
      users.users.root.openssh.authorizedKeys.keys = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIINmKM1T5zOF/8QQOIZRbYDO9J27AB0zzu0ip0scbW9h operator@laptop"
      ];
    };
  };

  nodes.alpha = {
    host = "root@198.18.0.21";
    tags = [ "web" ];
    configuration = { nodes, ... }: {
      networking.firewall.allowedTCPPorts = [ 80 ];
      networking.hosts."198.18.0.22" = [ "beta" ];
      environment.etc."nixmesh-example".text = "peer: ${nodes.beta.config.networking.hostName}\n";
    };
  };

  nodes.beta = {
    host = "root@198.18.0.22";
    tags = [ "db" ];
    configuration = {
      networking.hosts."198.18.0.21" = [ "alpha" ];
      boot.kernel.sysctl."vm.swappiness" = 10;
      users.users.backup = { isNormalUser = true; uid = 1001; };
    };
  };
})
