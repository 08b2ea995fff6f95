# networking.{hostName,domain,hosts} and networking.firewall as NixOS declares them
# (nixos/modules/tasks/network-interfaces.nix, config/networking.nix,
# services/networking/firewall.nix): hostName must be a valid host name; port ranges are
# lists of attrsets of ports, which NixOS's firewall script reads as `from:to' while the
# system is evaluated (system.build.firewallRules here, held by the toplevel); ports can
# be opened on one interface only (interfaces.<name>), and rules of one's own added to
# the iptables script (extraCommands) or the nftables input chain (extraInputRules).
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  ports = types.listOf types.port;
  ranges = types.listOf (types.attrsOf types.port);
  openings = {
    allowedTCPPorts = mkOption { type = ports; default = [ ]; description = "Open TCP ports."; };
    allowedUDPPorts = mkOption { type = ports; default = [ ]; description = "Open UDP ports."; };
    allowedTCPPortRanges = mkOption { type = ranges; default = [ ]; description = "Open TCP port ranges."; };
    allowedUDPPortRanges = mkOption { type = ranges; default = [ ]; description = "Open UDP port ranges."; };
  };
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
    firewall = openings // {
      enable = mkOption { type = types.bool; default = true; description = "Whether to run the firewall."; };
      trustedInterfaces = mkOption { type = types.listOf types.str; default = [ ]; description = "Interfaces whose traffic is accepted."; };
      interfaces = mkOption { type = types.attrsOf (types.submodule { options = openings; }); default = { }; description = "Ports open on one interface only."; };
      extraCommands = mkOption { type = types.lines; default = ""; description = "iptables commands of one's own."; };
      extraInputRules = mkOption { type = types.lines; default = ""; description = "nftables input rules of one's own."; };
    };
  };

  config.system.build.firewallRules =
    let
      fw = config.networking.firewall;
      rule = proto: port: "accept ${proto} ${toString port}\n";
      range = proto: r: "accept ${proto} ${toString r.from}:${toString r.to}\n";
      open = f: map (rule "tcp") f.allowedTCPPorts ++ map (rule "udp") f.allowedUDPPorts
        ++ map (range "tcp") f.allowedTCPPortRanges ++ map (range "udp") f.allowedUDPPortRanges;
    in
    lib.optionalString fw.enable (lib.concatStrings (
      open fw
      ++ lib.concatLists (lib.mapAttrsToList (i: f: map (r: "on ${i}: ${r}") (open f)) fw.interfaces)
      ++ map (i: "trust ${i}\n") fw.trustedInterfaces)
      + fw.extraCommands + fw.extraInputRules);
}
