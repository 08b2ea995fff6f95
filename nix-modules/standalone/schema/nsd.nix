# services.nsd: activation writes nsd.conf and the zone files (into the Nix store, from
# `zones.<name>.data`), checks every zone with nsd-checkzone before anything changes,
# then starts nsd (pid file /run/nixmesh/nsd/nsd.pid) or restarts it with the new
# configuration, and stops it when disabled.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  network = import ../../lib/network.nix { inherit lib; };
  zoneModule = {
    freeformType = types.lazyAttrsOf types.anything;
    options = {
      data = mkOption {
        type = types.lines;
        default = "";
        example = ''
          $ORIGIN example.com.
          $TTL 3600
          @ IN SOA ns1 hostmaster 1 3600 900 604800 300
          @ IN NS ns1
          ns1 IN A 192.0.2.1
        '';
        description = "The zone file's contents.";
      };
      provideXFR = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.0/24 NOKEY" ];
        description = "Allow these IPs and TSIG keys to transfer this zone (nsd's `provide-xfr`).";
      };
      notify = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.2 NOKEY" ];
        description = "Secondaries to notify of changes (nsd's `notify`).";
      };
      allowNotify = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Primaries allowed to notify this server (nsd's `allow-notify`).";
      };
      requestXFR = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Primaries to transfer the zone from (nsd's `request-xfr`).";
      };
    };
  };
in
{
  options.services.nsd = {
    enable = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable the NSD authoritative domain name server.";
    };
    interfaces = mkOption {
      # nsd's `ip-address`: an address, optionally @port; nsd would not start otherwise.
      type = types.listOf (types.str // {
        name = "nsdInterface";
        description = "IP address, optionally followed by @PORT";
        check = x: builtins.isString x && (let m = builtins.match "([^@]*)(@0*([0-9]{1,5}))?" x; in
          m != null && network.isIP (builtins.head m)
          && (builtins.elemAt m 2 == null || (let p = builtins.fromJSON (builtins.elemAt m 2); in p >= 1 && p <= 65535)));
      });
      default = [ "127.0.0.0" "::1" ];
      description = "What addresses the server should listen on.";
    };
    port = mkOption {
      type = types.port;
      default = 53;
      description = "Port the server should listen on.";
    };
    ipv4 = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to listen on IPv4 connections.";
    };
    ipv6 = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to listen on IPv6 connections.";
    };
    verbosity = mkOption {
      type = types.int;
      default = 0;
      description = "Verbosity level.";
    };
    zones = mkOption {
      type = types.attrsOf (types.submodule zoneModule);
      default = { };
      example = { "example.com.".data = "..."; };
      description = "Define your zones here: the attribute name is the zone's name, `data` its zone file.";
    };
  };
}
