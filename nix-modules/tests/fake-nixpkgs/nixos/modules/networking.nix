# networking.{hostName,domain,hosts} and networking.firewall as NixOS declares them
# (nixos/modules/tasks/network-interfaces.nix, config/networking.nix,
# services/networking/firewall.nix): hostName must be a valid host name; port ranges are
# lists of attrsets of ports, which NixOS's firewall script reads as `from:to' while the
# system is evaluated (system.build.firewallRules here, held by the toplevel).
{ config, lib, ... }:
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

  config.system.build.firewallRules =
    let
      fw = config.networking.firewall;
      rule = proto: port: "accept ${proto} ${toString port}\n";
      range = proto: r: "accept ${proto} ${toString r.from}:${toString r.to}\n";
    in
    lib.optionalString fw.enable (lib.concatStrings (
      map (rule "tcp") fw.allowedTCPPorts ++ map (rule "udp") fw.allowedUDPPorts
      ++ map (range "tcp") fw.allowedTCPPortRanges ++ map (range "udp") fw.allowedUDPPortRanges
      ++ map (i: "trust ${i}\n") fw.trustedInterfaces));
}
