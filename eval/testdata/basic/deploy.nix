# A hand-written stand-in for `import ./nix-modules { } module`: the attributes the Go
# side reads (plan, systems.<name>, optionsList; nodeIndex, forNodes and
# connectionPlan from ../engine-views.nix), built with plain
# Nix so eval's tests do not depend on the framework. `--arg breakWeb true` makes web's system fail to build.
{ breakWeb ? false, webPort ? 22 }:
let
  system = name: fail: derivation {
    name = "nixmesh-system-${name}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" (if fail
      then "echo compiling ${name}; echo 'broken on purpose' >&2; exit 1"
      else "echo building ${name} >&2; echo ${name} > $out") ];
  };
  node = name: attrs: {
    inherit name;
    enable = true;
    kind = "standalone";
    host = "root@198.18.0.${toString attrs.ip}";
    user = "root";
    hostname = "198.18.0.${toString attrs.ip}";
    port = 22;
    sshOptions = [ ];
    privilegeEscalationCommand = [ "sudo" "-n" ];
    tags = [ ];
    successTimeout = 20;
    switchTimeout = 60;
    configuration = {
      networking.hostName = name;
      networking.hosts = { "10.77.0.1" = [ "gateway.vpn" ]; };
    };
  } // builtins.removeAttrs attrs [ "ip" ];
  standIn = rec {
  plan = {
    version = 1;
    nodes = {
      gateway = node "gateway" {
        ip = 11;
        tags = [ "infra" ];
        configuration = {
          networking.hostName = "gateway";
          networking.wireguard.interfaces.wg0 = {
            ips = [ "10.77.0.1/24" ];
            listenPort = 51820;
            privateKeyFile = "/var/lib/nixmesh/wg0.key";
            peers = [{
              publicKey = "webPublicKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
              allowedIPs = [ "10.77.0.2/32" ];
              endpoint = "198.18.0.12:51820";
              persistentKeepalive = 25;
              presharedKeyFile = null;
            }];
          };
          services.nsd = {
            enable = true;
            interfaces = [ "10.77.0.1" ];
            zones."lab.test".data = "@ IN SOA ns.lab.test. admin.lab.test. 1 3600 600 86400 60\nweb IN A 10.77.0.2\n";
          };
          extra.setting = "kept raw";
        };
      };
      web = node "web" {
        ip = 12;
        port = webPort;
        tags = [ "web" "frontend" ];
        configuration = {
          networking.hostName = "web";
          users.users.deploy = {
            isNormalUser = true;
            uid = 1000;
            group = "users";
            home = "/home/deploy";
            createHome = true;
            openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests deploy@gateway" ];
          };
          programs.ssh.knownHosts.gateway = {
            hostNames = [ "gateway" "198.18.0.11" ];
            extraHostNames = [ ];
            publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGatewayHostKey";
          };
        };
      };
      web2 = node "web2" { ip = 13; tags = [ "web" ]; host = "198.18.0.13"; user = null; };
      old = node "old" { ip = 14; tags = [ "web" "legacy" ]; enable = false; };
    };
    network = {
      ssh = { access = { }; };
      vpn = { networks.backbone = { subnet = "10.77.0.0/24"; }; };
      dns = { };
    };
  };
  systems = {
    gateway = system "gateway" false;
    web = system "web" breakWeb;
    web2 = system "web2" false;
    old = system "old" false;
  };
  optionsList = [
    {
      name = "nodes.<name>.host";
      type = "string";
      description = "SSH target of the node, `user@host` or `host`.";
      default = null;
      example = "root@198.18.0.12";
      declarations = [ "/nix-modules/modules/nodes.nix:12" ];
      readOnly = false;
    }
    {
      name = "nodes.<name>.port";
      type = "16 bit unsigned integer; between 0 and 65535 (both inclusive)";
      description = "SSH port.";
      default = { _type = "literalExpression"; text = "22"; };
      declarations = [ "/nix-modules/modules/nodes.nix:20" ];
      readOnly = false;
    }
  ];
};
in
import ../engine-views.nix { inherit (standIn) plan systems; } // standIn
