# networking.firewall: recorded in the host's configuration (config.json, the plan) so
# checks can read it; standalone activation does not enforce it.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  rangeType = types.submodule {
    options.from = mkOption { type = types.port; description = "First port of the range."; };
    options.to = mkOption { type = types.port; description = "Last port of the range."; };
  };
in
{
  options.networking.firewall = {
    enable = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to enable the firewall. Recorded, not enforced, on standalone hosts.";
    };
    allowedTCPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
      example = [ 22 80 ];
      description = "List of TCP ports on which incoming connections are accepted.";
    };
    allowedUDPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
      example = [ 53 51820 ];
      description = "List of open UDP ports.";
    };
    allowedTCPPortRanges = mkOption {
      type = types.listOf rangeType;
      default = [ ];
      example = [{ from = 8999; to = 9003; }];
      description = "A range of TCP ports on which incoming connections are accepted.";
    };
    allowedUDPPortRanges = mkOption {
      type = types.listOf rangeType;
      default = [ ];
      example = [{ from = 60000; to = 61000; }];
      description = "Range of open UDP ports.";
    };
    trustedInterfaces = mkOption {
      # A longer name could never match an interface (iptables takes `+' as a wildcard).
      type = types.listOf (types.strMatching "[A-Za-z0-9_.+=-]{1,15}" // { description = "network interface name (1 to 15 letters, digits and _=+.-; `+' at the end matches any rest)"; });
      default = [ ];
      example = [ "wg0" ];
      description = "Traffic coming in from these interfaces is accepted unconditionally.";
    };
  };
}
