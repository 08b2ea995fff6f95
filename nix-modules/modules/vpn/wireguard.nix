# The WireGuard backend of vpn.nix: adds "wireguard" to `vpn.networks.<net>.backend` and
# writes, for every member of a resolved WireGuard network (`vpn.resolved`, shape in
# vpn.nix), `networking.wireguard.interfaces.<interface>` with the member's address, port,
# private key file and peers. The backend-neutral parts (hosts entries, firewall,
# forwarding) are vpn.nix's.
#
# A backend of your own follows the same pattern: extend the enum, read `vpn.resolved` (the networks `vpn.problemFree` names),
# write the host options of your VPN through `nodes.<node>.configuration`.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cross = import ../cross/lib.nix { inherit lib; };

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
    (lib.getAttrs config.vpn.problemFree config.vpn.resolved)));
  # What each member's final configuration must carry (checked once the networks have no
  # problems): its interface, its address and the peers its topology asks for. A host
  # module may override them (with mkForce, say), which would silently cut the VPN.
  appliedProblems = lib.concatLists (lib.mapAttrsToList
    (net: r: lib.optionals (r.backend == backend) (lib.concatMap
      (member:
        let
          node = config.nodes.${member.node};
          path = [ "nodes" member.node "configuration" "networking" "wireguard" "interfaces" r.interface ];
          iface = (node.config.networking.wireguard.interfaces or { }).${r.interface} or null;
          files = cross.hostDefinitionFiles (node.hostOptions.networking.wireguard.interfaces or { }) (v: v ? ${r.interface});
          hasPeer = p: builtins.any
            (q: (q.publicKey or null) == p.publicKey && lib.all (a: builtins.elem a (q.allowedIPs or [ ])) p.allowedIPs)
            (iface.peers or [ ]);
        in
        if iface == null then
          [ (cross.problem path (cross.hostDefinitionFiles (node.hostOptions.networking.wireguard.interfaces or { }) (_: true)) "is missing, though `${member.node}' is a member of `vpn.networks.${net}'; a module of node `${member.node}' overrides the interfaces.") ]
        else
          lib.optional (!(builtins.elem member.cidr (iface.ips or [ ])))
            (cross.problem (path ++ [ "ips" ]) files "lacks the address ${member.cidr} of `${member.node}' in `vpn.networks.${net}'; a module of node `${member.node}' overrides it.")
          # The key the member's public key was made from.
          ++ lib.optional (member.privateKeyFile != null && (iface.privateKeyFile or null) != member.privateKeyFile)
            (cross.problem (path ++ [ "privateKeyFile" ]) files "is ${builtins.toJSON (iface.privateKeyFile or null)}, but `vpn.networks.${net}' gives `${member.node}' the key file ${member.privateKeyFile} (the private half of its publicKey); a module of node `${member.node}' overrides it. Set it in `vpn.networks.${net}.members.${member.node}.privateKeyFile' instead.")
          # The port the others are told to send to (the member's endpoint) must be the
          # one the interface listens on.
          ++ lib.optional (member.listenPort != null && (iface.listenPort or null) != member.listenPort)
            (cross.problem (path ++ [ "listenPort" ]) files "is ${toString (iface.listenPort or null)}, but `vpn.networks.${net}' has `${member.node}' listen on ${toString member.listenPort} (the port in its endpoint for the others); a module of node `${member.node}' overrides it. Set the port in `vpn.networks.${net}' (listenPort, or members.${member.node}.listenPort) instead.")
          ++ map
            (p: cross.problem (path ++ [ "peers" ]) files "lacks the peer `${p.node}' (allowed IPs ${lib.concatStringsSep ", " p.allowedIPs}) that the ${r.topology} topology of `vpn.networks.${net}' asks for; a module of node `${member.node}' overrides the peers.")
            (builtins.filter (p: !hasPeer p) member.peers))
      # Only the hosts this evaluation checks (see `checkScope` in nodes.nix).
      (builtins.filter (m: cross.inCheckScope config.checkScope m.node) (builtins.attrValues r.members))))
    (lib.getAttrs config.vpn.problemFree config.vpn.resolved));
in
{
  # Read the hosts in scope: every worker checks its own (see `hostAssertions`).
  config.hostAssertions = lib.optionals (config.vpn.problems == [ ]) (cross.toAssertions appliedProblems);

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
