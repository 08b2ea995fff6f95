# networking.{hostName,domain,hosts} and networking.firewall as NixOS declares them
# (nixos/modules/tasks/network-interfaces.nix, config/networking.nix,
# services/networking/firewall.nix): hostName must be a valid host name; port ranges are
# lists of attrsets of ports.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  ports = types.listOf types.port;
  ranges = types.listOf (types.attrsOf types.port);
in
{
  options.networking = {
    hostName = mkOption {
      type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      default = "nixos";
      description = "The host name.";
    };
    domain = mkOption { type = types.nullOr types.str; default = null; description = "The domain."; };
    hosts = mkOption { type = types.attrsOf (types.listOf types.str); default = { }; description = "Lines of /etc/hosts."; };
    firewall = {
      enable = mkOption { type = types.bool; default = true; description = "Whether to run the firewall."; };
      allowedTCPPorts = mkOption { type = ports; default = [ ]; description = "Open TCP ports."; };
      allowedUDPPorts = mkOption { type = ports; default = [ ]; description = "Open UDP ports."; };
      allowedTCPPortRanges = mkOption { type = ranges; default = [ ]; description = "Open TCP port ranges."; };
      allowedUDPPortRanges = mkOption { type = ranges; default = [ ]; description = "Open UDP port ranges."; };
      trustedInterfaces = mkOption { type = types.listOf types.str; default = [ ]; description = "Interfaces whose traffic is accepted."; };
    };
  };
}
