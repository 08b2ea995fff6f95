# A rich deployment for the real-lib and NixOS stand-in tests (reallib_test.go): a mesh
# and a star VPN (IPv4 and IPv6), grants between several users of several hosts, two
# zones with secondaries and every record type, node records, WireGuard keys as secrets,
# and a user's own ip_forward beside the star server's.
#
# `lib` / `nixpkgs` are passed to nix-modules (standalone hosts on nixpkgs' lib, or
# NixOS hosts under the stand-in).
{ lib ? null, nixpkgs ? null }:
import ../../default.nix { inherit lib nixpkgs; } ({ config, lib, ... }:
let
  names = [ "gw" "web1" "web2" "db" "ns2" ];
  keyOf = n: builtins.substring 0 42 (builtins.hashString "sha256" "wg-${n}") + "A=";
  sshKey = n: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${builtins.substring 0 43 (builtins.hashString "sha256" n)} ${n}";
  address = n: { gw = "198.18.7.10"; web1 = "198.18.7.11"; web2 = "198.18.7.12"; db = "198.18.7.13"; ns2 = "198.18.7.14"; }.${n};
in
{
  defaults = { name, ... }: {
    host = "root@${address name}";
    configuration = {
      networking.hostName = name;
      users.users.deploy = { isNormalUser = true; uid = 1500; };
      users.users.backup = { isSystemUser = true; group = "backup"; };
      users.groups.backup = { };
    };
  };
  imports = [{
    nodes = lib.genAttrs names (n: {
      secrets.wg-mesh = { file = "/dev/null"; path = "/var/lib/nixmesh/wireguard/mesh.key"; };
      secrets.wg-star = { file = "/dev/null"; path = "/var/lib/nixmesh/wireguard/star.key"; };
    });
  }];
  nodes.gw = {
    port = 2222;
    configuration.boot.kernel.sysctl."net.ipv4.ip_forward" = 1;
  };

  ssh.access = lib.genAttrs [ "web1" "web2" "ns2" ] (n: { hostKeys.ed25519 = sshKey "host-${n}"; }) // {
    gw = {
      hostKeys.ed25519 = sshKey "host-gw";
      hostNames = [ "gateway.example.test" ];
      keys.ops = {
        publicKey = sshKey "ops@gw";
        hasAccessTo = lib.genAttrs names (_: { root = true; deploy = true; });
      };
    };
    db = {
      hostKeys.ed25519 = sshKey "host-db";
      keys.backup = { publicKey = sshKey "backup@db"; hasAccessTo.ns2.backup = true; hasAccessTo.gw.deploy = true; };
    };
  };

  vpn.networks.mesh = {
    backend = "wireguard";
    subnet = "10.88.0.0/24";
    topology = "mesh";
    members = lib.genAttrs [ "gw" "web1" "web2" "db" ] (n: {
      publicKey = keyOf "mesh-${n}";
      privateKeyFile = config.nodes.${n}.secrets.wg-mesh.path;
    });
  };
  vpn.networks.star = {
    backend = "wireguard";
    subnet = "fd42::/64";
    topology = "star";
    server = "gw";
    listenPort = 51821;
    members = lib.genAttrs names (n: {
      publicKey = keyOf "star-${n}";
      privateKeyFile = config.nodes.${n}.secrets.wg-star.path;
    });
  };

  dns.zones."example.test" = { primaryNode = "gw"; secondaryNodes = [ "ns2" "db" ]; soa.master = "gw.example.test."; };
  dns.zones."internal.example.test" = { primaryNode = "ns2"; secondaryNodes = [ "gw" ]; };
  dns.records = {
    "example.test" = {
      NS = [ "gw.example.test." "ns2.example.test." ];
      MX = "10 mail.example.test.";
      TXT = "v=spf1 mx -all";
      CAA = "0 issue \"letsencrypt.org\"";
    };
    "gw.example.test".A = address "gw";
    "ns2.example.test".A = address "ns2";
    "mail.example.test".A = address "db";
    "v6.example.test".AAAA = "fd42::1";
    "www.example.test".CNAME = "web1.example.test.";
    "_https._tcp.example.test".SRV = { priority = 0; weight = 5; port = 443; target = "web1.example.test."; };
    "db.internal.example.test".A = address "db";
  };
  nodes.web1.dns.records."web1.example.test".A = address "web1";
  nodes.web2.dns.records."web2.example.test".A = address "web2";
})
