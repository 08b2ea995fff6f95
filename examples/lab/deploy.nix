# The lab deployment: three standalone hosts on the local lab.
#
#   nixmesh lab up -f examples/lab/deploy.nix --write-nix examples/lab/lab-generated.nix
#                             # hosts gateway, web and db in 198.18.0.0/24, with new host keys
#   nixmesh deploy -f examples/lab/deploy.nix
#   # or, without the CLI:  nix-build examples/lab/deploy.nix && ./result
#
# No nixpkgs needed: the hosts are standalone (NixOS option names, built with Nix builtins
# only). Read `nix-instantiate --eval --strict --json -A plan examples/lab/deploy.nix` to
# see what each host will get.
{
  # The file `nixmesh lab up --write-nix` writes: the lab's addresses, ports and host keys
  # replace the plain values below when it exists (see ./lab.nix).
  labHosts ? ./lab-generated.nix
, # One more module for the network (tests use it for variants of the deployment).
  extraModule ? { }
, # Passed to nix-modules (tests evaluate this deployment on nixpkgs' real lib, and as
  # NixOS hosts under the stand-in nixpkgs): `--arg lib 'import <nixpkgs/lib>'`.
  lib ? null
, nixpkgs ? null
, # The deploy engine `./result` runs, pinned in its closure: `--arg nixmesh ./bin/nixmesh`
  # (then the script builds with the Nix sandbox on). null: nixmesh on PATH.
  nixmesh ? null
}:
let
  lab = import ./lab.nix {
    inherit labHosts;
    addresses = {
      gateway = "198.18.0.11";
      web = "198.18.0.12";
      db = "198.18.0.13";
    };
  };
  inherit (lab) addresses;

  # The operator's public key (its private half was thrown away): put yours here to log in as `operator` on every host.
  operatorKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIINmKM1T5zOF/8QQOIZRbYDO9J27AB0zzu0ip0scbW9h operator@laptop";
in
import ../../nix-modules { inherit lib nixpkgs nixmesh; } ({ lib, ... }: {
  # SSH access, the WireGuard VPN and DNS between the hosts (network.nix); the running
  # lab's addresses, ports and host keys (lab.nix); a variant's extra module.
  imports = [ ./network.nix lab.module extraModule ];
  # Applied to every node; `name` is the node's name.
  defaults = { name, ... }: {
    # A node the lab has no address for says so (rather than "attribute missing").
    host = lib.mkDefault "root@${addresses.${name} or (throw "examples/lab: node `${name}' has no address: add it to `addresses' in deploy.nix (the lab's hosts: ${lib.concatStringsSep ", " (builtins.attrNames addresses)}) and bring the lab up again, or set `nodes.${name}.host' yourself")}";
    successTimeout = 30;

    configuration = {
      networking.hostName = name;

      # Every host knows every other by name.
      networking.hosts = lib.mapAttrs' (node: address: lib.nameValuePair address [ node "${node}.lab.test" ]) addresses;

      users.users.operator = {
        isNormalUser = true;
        uid = 2000;
        home = "/home/operator";
        createHome = true;
        openssh.authorizedKeys.keys = [ operatorKey ];
      };

      environment.etc."motd".text = ''
        ${name}: part of the nixmesh lab, managed by nixmesh. Local changes are overwritten.
      '';
    };
  };

  nodes.gateway = {
    tags = [ "edge" ];
    configuration = ./gateway.nix;
  };

  nodes.web = {
    tags = [ "web" "app" ];
    configuration = { nodes, ... }: {
      environment.etc."web/index.html" = {
        text = "<h1>hello from web</h1>\n";
        mode = "0444";
      };
      environment.etc."web/upstream".text = "db ${nodes.db.config.networking.hostName}.lab.test\n";
      system.activationScripts.webroot = {
        text = "mkdir -p /var/www && cp /etc/web/index.html /var/www/index.html";
        deps = [ "etc" ];
      };
    };
  };

  nodes.db = {
    tags = [ "db" ];
    switchTimeout = 120;
    configuration = {
      # (Not `backup`: Debian has a system user of that name, and nixmesh never changes
      # an existing user.)
      users.users.dbbackup = {
        isSystemUser = true;
        group = "users";
        home = "/var/lib/dbbackup";
        createHome = true;
      };
      environment.etc."db/allowed-clients".text = ''
        ${addresses.web}
      '';
      system.activationScripts.dbdir = "mkdir -p /var/lib/db && chmod 0700 /var/lib/db";
    };
  };
})
