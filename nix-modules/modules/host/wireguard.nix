# A host module in every node's own evaluation (standalone and NixOS): WireGuard settings
# and known hosts that NixOS accepts and the host then cannot use. `ip' and `wg' refuse
# a bad interface name, address, key, endpoint or allowed IP in the middle of the
# activation (the host rolls back), a peer listed twice or a range given to two peers
# loses traffic without a word, and ssh skips a known host whose key is none (then
# refuses the host, with strict checking). Caught when the deployment is evaluated.
{ lib, config, options, ... }:
let
  cross = import ../cross/lib.nix { inherit lib; };
  network = import ../../lib/network.nix { inherit lib; };
  whereDefined = option: name: cross.inFiles (cross.attrDefinitionFiles option name);
  pathOf = option: rest: cross.showPath (option.loc ++ rest);

  # WireGuard settings that NixOS accepts and `ip`/`wg` then refuse on the host, in the
  # middle of the activation: caught here instead.
  wg = config.networking.wireguard.interfaces;
  wgPath = name: rest: pathOf options.networking.wireguard.interfaces ([ name ] ++ rest);
  wgWhere = name: whereDefined options.networking.wireguard.interfaces name;
  wgProblems = lib.concatLists (lib.mapAttrsToList
    (name: i:
      lib.optional (!cross.isNewInterfaceName name)
        "${wgPath name [ ]}${wgWhere name}: `${name}' cannot be a WireGuard interface's name (1 to 15 letters, digits and _=+.-; not `lo', the loopback every host has, nor `.' or `..')."
      ++ map (ip: "${wgPath name [ "ips" ]}${wgWhere name}: \"${ip}\" is not an address with its prefix length (e.g. \"10.77.0.2/24\").")
        (builtins.filter (ip: !network.isCIDR ip) i.ips)
      ++ lib.concatMap
        (peer:
          lib.optional (!(builtins.isString peer.publicKey && builtins.match cross.wireGuardKeyRe peer.publicKey != null))
            "${wgPath name [ "peers" ]}${wgWhere name}: the peer key \"${toString peer.publicKey}\" is not a WireGuard public key (44 characters of base64, as `wg pubkey' prints)."
          ++ lib.optional (peer.endpoint != null && !cross.isEndpoint peer.endpoint)
            "${wgPath name [ "peers" ]}${wgWhere name}: the endpoint \"${peer.endpoint}\" of peer ${toString peer.publicKey} is not `host:port' (port 1 to 65535, an IPv6 host in brackets)."
          ++ map (a: "${wgPath name [ "peers" ]}${wgWhere name}: the allowed IP \"${a}\" of peer ${toString peer.publicKey} is not an address with its prefix length.")
            (builtins.filter (a: !network.isCIDR a) peer.allowedIPs))
        i.peers
      ++ lib.mapAttrsToList
        (key: _: "${wgPath name [ "peers" ]}${wgWhere name}: the peer key ${key} is listed more than once: WireGuard keeps one peer per key, so the later entry would replace the earlier's allowed IPs. Merge them into one peer.")
        (lib.filterAttrs (_: ps: builtins.length ps > 1) (builtins.groupBy (p: toString p.publicKey) i.peers))
      # WireGuard routes an address range to one peer: setting it on a second takes it
      # from the first, which then gets no traffic for it.
      ++ lib.mapAttrsToList
        (range: keys: "${wgPath name [ "peers" ]}${wgWhere name}: the allowed IP ${range} is given to ${toString (builtins.length keys)} peers (${lib.concatStringsSep ", " keys}): WireGuard sends a range to one peer only, so all but the last would lose it. Give each range to one peer.")
        (lib.filterAttrs (_: keys: builtins.length keys > 1)
          (builtins.mapAttrs (_: es: lib.unique (map (e: e.key) es))
            (builtins.groupBy (e: e.range)
              (lib.concatMap
                (p: map (a: { range = network.cidrNetworkCIDR a; key = toString p.publicKey; }) (builtins.filter network.isCIDR p.allowedIPs))
                i.peers)))))
    wg)
  ++ lib.mapAttrsToList
    (port: names: "${lib.concatMapStringsSep " and " (n: "${wgPath n [ "listenPort" ]}${wgWhere n}") names} listen on the same UDP port ${port}: only one interface can have it.")
    (lib.filterAttrs (_: names: builtins.length names > 1)
      (builtins.groupBy (n: toString wg.${n}.listenPort) (builtins.filter (n: wg.${n}.listenPort != null) (builtins.attrNames wg))));

  # Known hosts whose key is no key of its type: ssh would skip the line and then refuse
  # the host (or ask), with strict checking.
  knownHostProblems = lib.concatLists (lib.mapAttrsToList
    (name: h: lib.optional (h.publicKey != null && !cross.sshKeyFitsType h.publicKey)
      "${pathOf options.programs.ssh.knownHosts [ name "publicKey" ]}${whereDefined options.programs.ssh.knownHosts name}: \"${h.publicKey}\" is not an OpenSSH public key (TYPE BASE64, BASE64 being a key of that TYPE, e.g. the contents of /etc/ssh/ssh_host_ed25519_key.pub).")
    config.programs.ssh.knownHosts);

in
{
  config.assertions = map (message: { assertion = false; inherit message; })
    ((if config.networking.wireguard.enable or false then wgProblems else [ ]) ++ knownHostProblems);
}
