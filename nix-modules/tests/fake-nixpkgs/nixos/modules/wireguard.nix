# networking.wireguard as NixOS declares it (nixos/modules/services/networking/wireguard.nix):
# listenPort is `nullOr int`, privateKeyFile a path, a peer's allowedIPs has no default;
# NixOS's assertions on keys, checked while WireGuard is enabled.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.networking.wireguard;

  peerOpts = {
    options = {
      name = mkOption { type = types.nullOr types.str; default = null; description = "A name for the peer."; };
      publicKey = mkOption { type = types.nullOr types.singleLineStr; default = null; description = "The peer's public key."; };
      publicKeyFile = mkOption { type = types.nullOr types.path; default = null; description = "A file with the peer's public key."; };
      presharedKey = mkOption { type = types.nullOr types.str; default = null; description = "A preshared key (lands in the store)."; };
      presharedKeyFile = mkOption { type = types.nullOr types.str; default = null; description = "A file with the preshared key."; };
      allowedIPs = mkOption { type = types.listOf types.str; description = "The peer's allowed IPs."; };
      endpoint = mkOption { type = types.nullOr types.str; default = null; description = "host:port of the peer."; };
      dynamicEndpointRefreshSeconds = mkOption { type = types.int; default = 0; description = "Re-resolve the endpoint every N seconds."; };
      persistentKeepalive = mkOption { type = types.nullOr types.int; default = null; description = "Keepalive interval."; };
    };
  };

  interfaceOpts = {
    options = {
      ips = mkOption { type = types.listOf types.str; default = [ ]; description = "The interface's addresses."; };
      privateKey = mkOption { type = types.nullOr types.str; default = null; description = "The private key (lands in the store)."; };
      generatePrivateKeyFile = mkOption { type = types.bool; default = false; description = "Generate privateKeyFile when missing."; };
      privateKeyFile = mkOption { type = types.nullOr types.path; default = null; description = "A file with the private key."; };
      listenPort = mkOption { type = types.nullOr types.int; default = null; description = "The UDP port."; };
      table = mkOption { type = types.str; default = "main"; description = "The routing table."; };
      peers = mkOption { type = types.listOf (types.submodule peerOpts); default = [ ]; description = "The peers."; };
      allowedIPsAsRoutes = mkOption { type = types.bool; default = true; description = "Add routes for allowedIPs."; };
      mtu = mkOption { type = types.nullOr types.int; default = null; description = "The MTU."; };
    };
  };
in
{
  options.networking.wireguard = {
    enable = mkOption { type = types.bool; default = cfg.interfaces != { }; description = "Whether to enable WireGuard."; };
    interfaces = mkOption { type = types.attrsOf (types.submodule interfaceOpts); default = { }; description = "WireGuard interfaces."; };
  };

  config.assertions = lib.optionals cfg.enable (lib.concatLists (lib.mapAttrsToList
    (name: value:
      [
        {
          assertion = (value.privateKey != null) != (value.privateKeyFile != null);
          message = "Either networking.wireguard.interfaces.${name}.privateKey or networking.wireguard.interfaces.${name}.privateKeyFile must be set.";
        }
        {
          assertion = value.generatePrivateKeyFile -> (value.privateKey == null);
          message = "networking.wireguard.interfaces.${name}.generatePrivateKeyFile must not be set if networking.wireguard.interfaces.${name}.privateKey is set.";
        }
      ]
      ++ lib.concatMap
        (peer:
          let peerName = if peer.publicKey != null then peer.publicKey else toString peer.publicKeyFile; in
          [
            {
              assertion = (peer.publicKey != null) != (peer.publicKeyFile != null);
              message = "networking.wireguard.interfaces.${name} peer \"${peerName}\" has both publicKey and publicKeyFile set, but only one can be used.";
            }
            {
              assertion = peer.presharedKey == null || peer.presharedKeyFile == null;
              message = "networking.wireguard.interfaces.${name} peer \"${peerName}\" has both presharedKey and presharedKeyFile set, but only one can be used.";
            }
          ])
        value.peers)
    cfg.interfaces));
}
