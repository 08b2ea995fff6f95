# The WireGuard backend of vpn.nix: adds "wireguard" to `vpn.networks.<net>.backend` and
# writes, for every member of a resolved WireGuard network (`vpn.resolved`, shape in
# vpn.nix), `networking.wireguard.interfaces.<interface>` with the member's address, port,
# private key file and peers. The backend-neutral parts (hosts entries, firewall,
# forwarding) are vpn.nix's.
#
# A backend of your own follows the same pattern: extend the enum, read `vpn.resolved`,
# write the host options of your VPN through `nodes.<node>.configuration`.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;

  backend = "wireguard";

  # node -> [ interface settings ] of the WireGuard networks it is a member of.
  interfacesByNode = builtins.groupBy (x: x.node) (lib.concatLists (lib.mapAttrsToList
    (net: r: lib.optionals (r.backend == backend) (map
      (member: {
        inherit (member) node;
        name = r.interface;
        value = {
          ips = [ member.cidr ];
          inherit (member) listenPort privateKeyFile;
          peers = map
            (p: { inherit (p) publicKey allowedIPs endpoint persistentKeepalive; })
            member.peers;
        };
      })
      (builtins.attrValues r.members)))
    config.vpn.resolved));
in
{
  options.vpn.networks = mkOption {
    type = types.attrsOf (types.submodule {
      options.backend = mkOption { type = types.enum [ backend ]; };
    });
  };

  options.nodes = mkOption {
    type = types.attrsOf (types.submodule ({ name, ... }: {
      configuration = lib.optionalAttrs (interfacesByNode ? ${name}) {
        networking.wireguard.interfaces = builtins.listToAttrs
          (map (x: { inherit (x) name value; }) interfacesByNode.${name});
      };
    }));
  };
}
