# The lab's cross-host features: SSH access between the hosts, a WireGuard VPN and a DNS
# zone. deploy.nix imports this module; everything here lands in the hosts'
# configurations through the ssh, vpn and dns modules (see `nixmesh eval` and
# `nixmesh graph`).
{ config, lib, ... }:
let
  # Example SSH host keys (their private halves were thrown away). With a running lab,
  # ./lab.nix replaces them with the lab's real ones (`nixmesh lab up --write-nix`).
  hostKeys = {
    gateway = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINeDclddamlBkyr/i2K74+a0cNQ4XaGwtzAHgSL4Jyl1";
    web = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl";
    db = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPf3e5EQguws4ETtHNJ7tIJsoQ2WenkJAgBwn10NH2bl";
  };

  # A node's address, from its `host` ("root@198.18.0.12" -> "198.18.0.12").
  address = name: lib.last (lib.splitString "@" config.nodes.${name}.host);

  # The VPN address the vpn module gave a node (assigned from the subnet when not pinned).
  vpnAddress = name: config.vpn.resolved.backbone.members.${name}.address;
in
{
  # --- SSH ------------------------------------------------------------------------------
  ssh.access = {
    gateway.hostKeys.ed25519 = hostKeys.gateway;
    web.hostKeys.ed25519 = hostKeys.web;
    db.hostKeys.ed25519 = hostKeys.db;

    # A key on gateway that may log in as root on web and db (and on gateway itself,
    # which adds `localhost` to gateway's own known-hosts entry).
    gateway.keys.deploy = {
      publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@gateway";
      hasAccessTo.web.root = true;
      hasAccessTo.db.root = true;
      hasAccessTo.gateway.root = true;
    };

    # db's backup job copies to the operator's account on gateway.
    db.keys.backup = {
      publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPE9m/yHmZDZBVFfdc3QuTbqIoYwOpy0+NFNzzPPqjio backup@db";
      hasAccessTo.gateway.operator = true;
    };
  };

  # --- WireGuard ------------------------------------------------------------------------
  # A star around gateway: web and db reach each other through it. The public keys are
  # real; each private key is a secret of its node (throwaway lab keys in
  # ./secrets/wireguard/<node>.key). The deployer reads the file on your machine and
  # streams it over SSH to the secret's path on the host before the activation, which
  # needs it; it does so on every deploy, so a new key takes effect even when the system
  # does not change. `file` is a string (toString of the path): a Nix path would be copied
  # into the world-readable store. Only the path on the host is in the configuration.
  nodes.gateway.secrets.wg-backbone = {
    file = toString ./secrets/wireguard/gateway.key;
    path = "/var/lib/nixmesh/wireguard/backbone.key";
  };
  nodes.web.secrets.wg-backbone = {
    file = toString ./secrets/wireguard/web.key;
    path = "/var/lib/nixmesh/wireguard/backbone.key";
  };
  nodes.db.secrets.wg-backbone = {
    file = toString ./secrets/wireguard/db.key;
    path = "/var/lib/nixmesh/wireguard/backbone.key";
  };

  vpn.networks.backbone = {
    backend = "wireguard";
    subnet = "10.77.0.0/24";
    topology = "star";
    server = "gateway";
    members.gateway = {
      address = "10.77.0.1";
      publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=";
      privateKeyFile = config.nodes.gateway.secrets.wg-backbone.path;
    };
    # No address: assigned from the subnet, stable when members come and go.
    members.web = {
      publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
      privateKeyFile = config.nodes.web.secrets.wg-backbone.path;
    };
    members.db = {
      publicKey = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00=";
      privateKeyFile = config.nodes.db.secrets.wg-backbone.path;
      persistentKeepalive = 25;
    };
  };

  # --- DNS ------------------------------------------------------------------------------
  # gateway serves lab.test with nsd; db keeps a copy by zone transfer.
  dns.zones."lab.test" = {
    primaryNode = "gateway";
    secondaryNodes = [ "db" ];
    ttl = 300;
    soa.master = "gateway.lab.test.";
  };
  # Serials grow with the zone's content across deployments (modules/dns.nix).
  dns.serialsFile = ./dns-serials.json;

  dns.records = {
    "lab.test" = {
      NS = [ "gateway.lab.test." "db.lab.test." ];
      MX = "10 gateway.lab.test.";
      TXT = "v=spf1 mx -all";
    };
    "gateway.lab.test".A = address "gateway";
    "db.lab.test".A = address "db";
    "www.lab.test".CNAME = "web.lab.test.";
    "_http._tcp.lab.test".SRV = { priority = 0; weight = 5; port = 80; target = "web.lab.test."; };
    # Names in the VPN, from the addresses the vpn module assigned.
    "gateway.vpn.lab.test".A = vpnAddress "gateway";
    "web.vpn.lab.test".A = vpnAddress "web";
    "db.vpn.lab.test".A = vpnAddress "db";
  };

  # A node declares its own records; each lands in the zone with the longest matching suffix.
  nodes.web.dns.records."web.lab.test".A = address "web";
}
