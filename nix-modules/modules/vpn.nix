# VPNs between nodes: `vpn.networks.<net>`.
#
#   vpn.networks.backbone = {
#     backend = "wireguard";            # vpn/wireguard.nix; other backends extend the enum
#     subnet = "10.77.0.0/24";
#     topology = "star";                # or "mesh"
#     server = "gateway";               # star only: the hub, one of the members
#     members.gateway = { publicKey = "..."; address = "10.77.0.1"; };
#     members.web.publicKey = "...";    # address assigned from the subnet (see below)
#   };
#
# This module is backend-neutral: it declares the networks, checks them, assigns
# addresses, works out who peers with whom, and writes what every backend shares
# (`networking.hosts` names `<node>.<net>`, forwarding on a star's server, the firewall's
# trusted interface and UDP port, `nodes.<n>.addresses` and `.reachableAs`). A backend
# module (here vpn/wireguard.nix) adds its name to the `backend` enum and writes its own
# interfaces from the normalised networks in `vpn.resolved`, whose shape is:
#
#   vpn.resolved.<net> = {
#     name; backend; subnet; family ("ipv4"|"ipv6"); prefixLength; topology; server;
#     interface; listenPort;
#     members.<node> = {
#       node; address; cidr ("<address>/<prefixLength>"); assigned (bool: address chosen
#       by the rule below); publicKey; privateKeyFile; endpoint (null or "host:port");
#       listenPort; persistentKeepalive; role ("server"|"client"|"peer");
#       peers = [ { node; publicKey; allowedIPs; endpoint; persistentKeepalive; } ]
#         # sorted by node name
#     };
#   }
#
# Only networks without problems are resolved (their names: `vpn.problemFree`); problems
# become `assertions`, and reading `vpn.resolved.<net>` of such a network throws them.
#
# Peers. star: the server peers with every client (allowedIPs = the client's address);
# each client peers with the server only, with allowedIPs = the whole subnet, so clients
# reach each other through the server (which gets IP forwarding). mesh: two members peer
# when at least one of them has an endpoint (the other can then reach it first); a member
# without an endpoint in a network where no other member has one can be reached by nobody,
# which is an error.
#
# Automatic addresses (members whose `address` is null). The host numbers of a subnet are
# 1 .. N (IPv4: N = size - 2, so never the network or broadcast address; IPv6: N =
# min(size - 1, 2^48)). Addresses given explicitly are reserved first. Then the members
# without one, in sorted name order, each take host number 1 + (h mod N), where h is the
# integer of the first 12 hex digits of sha256("<net>/<node>"); if that address is taken,
# the next one (wrapping around) is tried. A member's address therefore depends only on
# its own name and on the members that collide with it: adding or removing other members
# leaves it unchanged unless one of them lands on the same host number first (rare in a
# roomy subnet). Pin `address` where even that must not happen.
{ config, lib, options, ... }:
let
  inherit (lib) mkOption types;
  cross = import ./cross/lib.nix { inherit lib; };

  # Where `vpn.publicKeys.NET.NODE' is written: the line of `NODE = ...' in each
  # definition that is an attribute set holding it, else every definition's file.
  # keyFiles "backbone" "web" => [ "/src/wireguard-keys.nix:3" ]
  keyFiles = net: node:
    let at = cross.pathInDefinitions (options.vpn.publicKeys.definitionsWithLocations or [ ]) [ net node ]; in
    if at != [ ] then at else cross.definitionFiles options.vpn.publicKeys;
  inherit (cross) problem network;

  cfg = config.vpn;
  # The networks with `server` as a member name, whichever way it was written (a name,
  # or Nixus's { node; subnetIp; wireguard; port; }, see nixusModules below).
  networks = builtins.mapAttrs
    (_: n: n // {
      server = if builtins.isAttrs n.server then n.server.node else n.server;
      nixusServer = builtins.isAttrs n.server; # written in Nixus's form (for messages)
    })
    cfg.networks;
  nodeNames = builtins.attrNames config.nodes;
  isNode = n: config.nodes ? ${n};

  # --- types ------------------------------------------------------------------------------

  subnetType = types.str // {
    name = "networkCIDR";
    description = "network in CIDR notation with the host bits zero (e.g. \"10.77.0.0/24\" or \"fd77::/64\")";
    check = network.isNetworkCIDR;
  };

  addressType = types.str // {
    name = "ipAddress";
    description = "IPv4 or IPv6 address without prefix length (e.g. \"10.77.0.3\")";
    check = network.isIP;
  };

  # As NixOS's peer publicKey (a single-line string): one final newline, which the file
  # `wg pubkey > web.pub` has, is allowed and dropped (publicKey = readFile ./web.pub).
  keyType = types.strMatching cross.wireGuardKeyRe // {
    description = "WireGuard public key (44 characters of base64, as printed by `wg pubkey'; a final newline is dropped)";
    check = x: builtins.isString x && builtins.match "${cross.wireGuardKeyRe}\n?" x != null;
    merge = loc: defs: lib.removeSuffix "\n" (lib.mergeEqualOption loc defs);
  };

  hostFileType = types.strMatching "/.*" // {
    description = "absolute path on the host, outside the Nix store, without control characters (a string, not a Nix path, so the key is never copied to the store)";
    check = x: builtins.isString x && builtins.match "/.*" x != null && cross.noControlChars x
      && builtins.substring 0 (builtins.stringLength builtins.storeDir + 1) x != builtins.storeDir + "/";
  };

  endpointType = types.addCheck (types.strMatching cross.endpointRe) cross.isEndpoint // {
    description = "endpoint `host:port' (IPv6 host in brackets, port 1 to 65535)";
  };

  interfaceType = types.addCheck types.str cross.isNewInterfaceName // {
    description = "network interface name (1 to 15 letters, digits, `_', `.', `+', `=', `-'; not `lo', `.' or `..')";
  };

  # --- options ----------------------------------------------------------------------------

  memberModule = net: netCfg: { name, config, options, ... }:
    let
      node = config.node;
      host = if isNode node then cross.hostAddress topConfig.nodes.${node}.host else null;
    in
    {
      options = {
        node = mkOption {
          type = types.str;
          internal = true;
          readOnly = true;
          description = "The member's node name (the attribute name).";
        };
        address = mkOption {
          type = types.nullOr addressType;
          default = null;
          example = "10.77.0.3";
          description = ''
            The member's address in the subnet. null: assigned from the subnet by a
            deterministic rule that keeps it stable when other members come and go (see
            the comment at the top of modules/vpn.nix).
          '';
        };
        publicKey = mkOption {
          type = keyType;
          default = topConfig.vpn.publicKeys.${net}.${name} or (throw
            "The option `vpn.networks.${net}.members.${name}.publicKey' is used but not defined: set it, or run `nixmesh keys wireguard ${net}` and import the file it writes into `vpn.publicKeys'.");
          defaultText = lib.literalExpression "vpn.publicKeys.${net}.${name}";
          example = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
          description = ''
            The member's public key (`wg genkey | wg pubkey`). Defaults to the entry in
            `vpn.publicKeys`, which is where `nixmesh keys wireguard` puts the keys it
            generates on the hosts.
          '';
        };
        privateKeyFile = mkOption {
          type = hostFileType;
          default = "/var/lib/nixmesh/wireguard/${net}.key";
          example = "/var/lib/nixmesh/wireguard/backbone.key";
          description = ''
            Where the member's private key is on the host. Never put the key itself in the
            configuration: it would end up in the world-readable Nix store.
          '';
        };
        listenPort = mkOption {
          type = types.ints.between 1 65535;
          default = netCfg.listenPort;
          defaultText = lib.literalExpression "vpn.networks.<net>.listenPort";
          description = "The UDP port this member listens on.";
        };
        endpoint = mkOption {
          type = types.nullOr endpointType;
          default = if host == null then null else cross.joinHostPort host config.listenPort;
          defaultText = lib.literalExpression "\"<address of nodes.<name>.host>:<listenPort>\"";
          example = "203.0.113.7:51820";
          description = ''
            Where other members reach this one (`host:port`). null for a member that cannot
            be reached from outside (behind NAT): it then contacts the others itself.
          '';
        };
        persistentKeepalive = mkOption {
          type = types.nullOr (types.ints.between 1 65535);
          default = netCfg.persistentKeepalive;
          defaultText = lib.literalExpression "vpn.networks.<net>.persistentKeepalive";
          example = 25;
          description = "Seconds between keepalive packets this member sends to its peers (useful behind NAT); null: none.";
        };
        files = mkOption {
          type = types.listOf types.str;
          internal = true;
          readOnly = true;
          description = "Where the member is declared (for messages).";
        };
        addressFiles = mkOption {
          type = types.listOf types.str;
          internal = true;
          readOnly = true;
          description = "Where the member's address is defined (for messages).";
        };
        publicKeyFiles = mkOption {
          type = types.listOf types.str;
          internal = true;
          readOnly = true;
          description = "Where the member's public key is defined (for messages).";
        };
      };
      config = {
        node = name;
        files = cross.filesOf (removeAttrs options [ "files" "addressFiles" "publicKeyFiles" "node" ]);
        addressFiles = cross.knownFiles (cross.definitionFiles options.address);
        publicKeyFiles = cross.knownFiles (cross.definitionFiles options.publicKey);
      };
    };

  topConfig = config;

  networkModule = { name, config, options, ... }: {
    options = {
      backend = mkOption {
        # Backends add their name: `options.vpn.networks = mkOption { type = attrsOf
        # (submodule { options.backend = mkOption { type = enum [ "mine" ]; }; }); }`.
        type = types.enum [ ];
        default = "wireguard";
        description = ''
          The VPN implementation. Each backend module adds its name to this enum; the
          bundled one is "wireguard".
        '';
      };
      subnet = mkOption {
        type = subnetType;
        example = "10.77.0.0/24";
        description = "The network's address range; every member's address lies in it.";
      };
      topology = mkOption {
        type = types.enum [ "star" "mesh" ];
        default = "mesh";
        description = ''
          "star": one `server`, every other member talks to it (and to the others through
          it). "mesh": every member talks directly to every other it can reach.
        '';
      };
      server = mkOption {
        type = types.nullOr (types.either types.str (types.submodule nixusServerModule));
        default = null;
        example = "gateway";
        description = ''
          star: the member all others connect to (a key of `members`). Nixus's form is
          accepted too: `{ node; subnetIp; wireguard.publicKey; wireguard.privateKeyFile;
          port; }` makes that node a member (and the network a star), as `clients.<node>`
          does for the others.
        '';
      };
      clients = mkOption {
        type = types.attrsOf (types.submodule nixusClientModule);
        default = { };
        example = lib.literalExpression ''{ web = { subnetIp = "10.77.0.2"; wireguard.publicKey = "..."; }; }'';
        description = ''
          Nixus's way to write the members of a star other than its server: each becomes
          `members.<node>` with `address = subnetIp` and the `wireguard` keys.
        '';
      };
      interface = mkOption {
        type = interfaceType;
        default = builtins.substring 0 15 "wg-${name}";
        defaultText = lib.literalExpression "\"wg-<net>\" (at most 15 characters)";
        description = "The name of the network interface on every member.";
      };
      listenPort = mkOption {
        type = types.ints.between 1 65535; # peers would be told addr:0
        default = 51820;
        description = "The default UDP port of the members (each may set its own).";
      };
      persistentKeepalive = mkOption {
        type = types.nullOr (types.ints.between 1 65535);
        default = null;
        example = 25;
        description = "The default of the members' `persistentKeepalive`.";
      };
      members = mkOption {
        type = types.attrsOf (types.submodule (memberModule name config));
        default = { };
        description = "The nodes in this network, by node name.";
      };
      serverFiles = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where `server` is defined (for messages).";
      };
      clientFiles = mkOption {
        type = types.attrsOf (types.listOf types.str);
        internal = true;
        readOnly = true;
        description = "Where each of `clients` is defined (for messages).";
      };
      files = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where the network is declared (for messages).";
      };
    };
    config = {
      serverFiles = cross.knownFiles (cross.definitionFiles options.server ++ cross.definitionFiles options.topology);
      clientFiles = builtins.mapAttrs (c: _: cross.attrDefinitionFiles options.clients c) config.clients;
      files = cross.filesOf (removeAttrs options [ "members" "clients" "files" "serverFiles" "clientFiles" ]);
      # Nixus's star: the server and the clients become members.
      topology = lib.mkIf (builtins.isAttrs config.server) (lib.mkDefault "star");
      members = lib.mkMerge [
        (lib.mkIf (builtins.isAttrs config.server) { ${config.server.node} = nixusMember config.server; })
        (builtins.mapAttrs (_: nixusMember) config.clients)
      ];
    };
  };

  # --- Nixus's way to write a star --------------------------------------------------------

  nixusKeyOptions = {
    subnetIp = mkOption {
      type = types.nullOr addressType;
      default = null;
      description = "The member's address in the subnet (`members.<node>.address`).";
    };
    wireguard.publicKey = mkOption {
      type = types.nullOr keyType;
      default = null;
      description = "The member's public key (`members.<node>.publicKey`).";
    };
    wireguard.privateKeyFile = mkOption {
      type = types.nullOr hostFileType;
      default = null;
      description = "Where its private key is on the host (`members.<node>.privateKeyFile`).";
    };
  };

  nixusServerModule = {
    options = nixusKeyOptions // {
      node = mkOption {
        type = types.str;
        description = "The node that is the server.";
      };
      port = mkOption {
        type = types.nullOr (types.ints.between 1 65535);
        default = null;
        description = "The UDP port it listens on (`members.<node>.listenPort`).";
      };
    };
  };

  nixusClientModule = { options = nixusKeyOptions; };

  # A member definition from a Nixus server or client (unset fields keep their defaults).
  nixusMember = m:
    lib.optionalAttrs (m.subnetIp != null) { address = m.subnetIp; }
    // lib.optionalAttrs (m.wireguard.publicKey != null) { inherit (m.wireguard) publicKey; }
    // lib.optionalAttrs (m.wireguard.privateKeyFile != null) { inherit (m.wireguard) privateKeyFile; }
    // lib.optionalAttrs ((m.port or null) != null) { listenPort = m.port; };

  # --- normalise: addresses ---------------------------------------------------------------

  netPath = net: [ "vpn" "networks" net ];
  memberPath = net: m: netPath net ++ [ "members" m ];

  # Per network: { info; explicit problems; addresses.<member> = address }.
  addressing = net: n:
    let
      info = network.parseCIDR n.subnet;
      isV4 = info.family == "ipv4";
      hostCount =
        if isV4 then (if info.prefixLength > 30 then 0 else info.size - 2)
        else if info.hostBits >= 48 then 281474976710656
        else info.size - 1;
      members = n.members;
      names = builtins.attrNames members;
      explicitNames = builtins.filter (m: members.${m}.address != null) names;
      autoNames = builtins.filter (m: members.${m}.address == null) names;
      canonical = a: network.canonicalIP a;

      explicitProblems = lib.concatMap
        (m:
          let
            a = members.${m}.address;
            p = memberPath net m ++ [ "address" ];
            files = members.${m}.addressFiles;
          in
          # A subnet without host addresses has its own problem (too few); no range to offer.
          if hostCount == 0 then [ ]
          else if !network.cidrContains n.subnet a then
            [ (problem p files "is ${a}, outside the subnet ${n.subnet} of `vpn.networks.${net}.subnet'. Use an address in ${n.subnet}, or null to have one assigned.") ]
          else if canonical a == info.network then
            [ (problem p files "is ${a}, the network address of ${n.subnet}, which no host may use. Use an address between ${network.nthHost n.subnet 1} and ${network.nthHost n.subnet (if isV4 then (-2) else (-1))}.") ]
          else if isV4 && canonical a == info.broadcast then
            [ (problem p files "is ${a}, the broadcast address of ${n.subnet}, which no host may use. Use an address between ${network.nthHost n.subnet 1} and ${network.nthHost n.subnet (-2)}.") ]
          else [ ])
        explicitNames;

      # Explicit addresses, canonical -> the members using them (sorted).
      byAddress = builtins.groupBy (m: canonical members.${m}.address) explicitNames;
      duplicateProblems = lib.concatLists (lib.mapAttrsToList
        (a: ms: map
          (m: problem (memberPath net m ++ [ "address" ]) members.${m}.addressFiles
            "is ${a}, which `vpn.networks.${net}.members.${builtins.head ms}.address' also has. Every member needs its own address; give one of them another, or null to have one assigned.")
          (builtins.tail ms))
        byAddress);

      tooFew = autoNames != [ ] && builtins.length autoNames > hostCount - builtins.length (builtins.attrNames byAddress);
      fullProblems = lib.optional tooFew
        (problem (netPath net ++ [ "subnet" ]) n.files
          "${n.subnet} has ${toString hostCount} host addresses, too few for the ${toString (builtins.length names)} members of `vpn.networks.${net}'. Use a larger subnet.");

      probe = taken: slot: tries:
        let a = network.nthHost n.subnet (1 + slot); in
        if !(taken ? ${a}) then a
        else if tries >= hostCount then throw "vpn: no free address in ${n.subnet}"
        else probe taken (if slot + 1 == hostCount then 0 else slot + 1) (tries + 1);

      assigned = (builtins.foldl'
        (acc: m:
          let a = probe acc.taken (cross.modInt (cross.hashInt 12 "${net}/${m}") hostCount) 0; in
          { taken = acc.taken // { ${a} = true; }; addresses = acc.addresses // { ${m} = a; }; })
        { taken = byAddress; addresses = { }; }
        autoNames).addresses;
    in
    {
      inherit info;
      problems = explicitProblems ++ duplicateProblems ++ fullProblems;
      addresses = builtins.mapAttrs (_: canonical) (lib.genAttrs explicitNames (m: members.${m}.address))
        // (if tooFew then { } else assigned);
    };

  # --- checks -----------------------------------------------------------------------------

  structureProblems = net: n:
    let
      members = n.members;
      names = builtins.attrNames members;
      withEndpoint = builtins.filter (m: members.${m}.endpoint != null) names;
    in
    map
      (m: problem (memberPath net m) members.${m}.files
        "names no node (nodes: ${cross.showNames nodeNames}). Members are nodes (so are Nixus-style clients and server): use a node's name, or add `nodes.${m}'.")
      (builtins.filter (m: !isNode m) names)
    ++ (if n.topology == "star" then
      (if n.server == null then
        [ (problem (netPath net ++ [ "server" ]) n.serverFiles "is null, but `vpn.networks.${net}.topology' is \"star\", which needs a server. Set it to one of the members (${cross.showNames names}).") ]
      else if !(members ? ${n.server}) then
        [ (problem (netPath net ++ [ "server" ]) n.serverFiles "is \"${n.server}\", which is not a member of `vpn.networks.${net}' (members: ${cross.showNames names}). Add `vpn.networks.${net}.members.${n.server}', or pick a member.") ]
      else if members.${n.server}.endpoint == null then
        [ (problem (memberPath net n.server ++ [ "endpoint" ]) members.${n.server}.files "is null, but `${n.server}' is the server of the star `vpn.networks.${net}': no client could reach it. Set an endpoint (host:port) the clients can reach.") ]
      else [ ])
    else
      lib.optional (n.server != null)
        (problem (netPath net ++ [ "server" ]) n.serverFiles "is \"${n.server}\", but `vpn.networks.${net}.topology' is \"mesh\", which has no server. Remove `server', or set the topology to \"star\".")
      ++ lib.optionals (builtins.length names > 1 && withEndpoint == [ ])
        (map
          (m: problem (memberPath net m ++ [ "endpoint" ]) members.${m}.files
            "is null, and no other member of the mesh `vpn.networks.${net}' has an endpoint either, so nobody can reach `${m}'. Give at least one member an endpoint (host:port) the others can reach.")
          names))
    # Peers are told apart by their public keys: two members with one key cannot both work.
    ++ lib.concatLists (lib.imap0
      (i: m:
        let
          key = members.${m}.publicKey or null;
          same = builtins.filter (e: key != null && (members.${e}.publicKey or null) == key) (lib.take i names);
        in
        lib.optional (same != [ ])
          (problem (memberPath net m ++ [ "publicKey" ]) members.${m}.files
            "is also the public key of `${builtins.head same}' in `vpn.networks.${net}'. Each member needs a key pair of its own (peers are told apart by their keys): give `${m}' its own, e.g. with `nixmesh keys wireguard'."))
      names)
    # A member's own key and the one collected for it (`vpn.publicKeys') disagree: one of
    # them is stale, and the peers may be given the wrong one.
    ++ lib.concatMap
      (m:
        let collected = topConfig.vpn.publicKeys.${net}.${m} or null; in
        lib.optional (collected != null && members.${m}.publicKey != collected)
          (problem (memberPath net m ++ [ "publicKey" ]) members.${m}.publicKeyFiles
            "is \"${members.${m}.publicKey}\", but `vpn.publicKeys.${net}.${m}' (where `nixmesh keys wireguard' puts the key it collects from the host) is \"${collected}\": one of them is stale, and the peers would be given this one. Keep the right key: remove the other, or make them equal."))
      names;

  # Two networks on one host must differ in interface name and port.
  clashProblems =
    let
      # [ { net; node; interface; port; files } ] for members that are nodes, sorted by net.
      uses = lib.concatLists (lib.mapAttrsToList
        (net: n: lib.mapAttrsToList
          (m: mc: { inherit net; node = m; interface = n.interface; port = mc.listenPort; files = mc.files; nfiles = n.files; })
          n.members)
        networks);
      perNode = builtins.groupBy (u: u.node) uses;
      clashes = what: path: u: others: lib.optional (others != [ ])
        (problem path (if what == "interface" then u.nfiles else u.files)
          "is ${toString u.${what}} on node `${u.node}', as in `vpn.networks.${(builtins.head others).net}' on the same node. Two networks on one host need different ${if what == "interface" then "interface names: set `vpn.networks.${u.net}.interface'" else "ports: set `vpn.networks.${u.net}.listenPort' (or the member's `listenPort')"}.");
    in
    lib.concatLists (lib.mapAttrsToList
      (node: us: lib.concatLists (lib.imap0
        (i: u:
          let earlier = lib.take i us; in
          clashes "interface" (netPath u.net ++ [ "interface" ]) u (builtins.filter (e: e.interface == u.interface) earlier)
          ++ clashes "port" (memberPath u.net node ++ [ "listenPort" ]) u (builtins.filter (e: e.port == u.port) earlier))
        us))
      perNode);

  addressingOf = builtins.mapAttrs addressing networks;

  problemsOf = builtins.mapAttrs (net: n: map (asWritten net n) (structureProblems net n ++ addressingOf.${net}.problems)) networks;

  # A problem of a member that Nixus's `clients.<m>` or `server` made (and that has no
  # definition of its own under `members`) is shown where the user wrote it:
  # `members.laptop.address' becomes `clients.laptop.subnetIp', with the clients' file.
  asWritten = net: n: p:
    let
      base = memberPath net;
      m = if builtins.length p.path >= 5 then builtins.elemAt p.path 4 else null;
      under = m != null && lib.take 5 p.path == base m && cross.knownFiles p.files == [ ];
      rest = lib.drop 5 p.path;
      renamed = if rest == [ ] then [ ] else
        ({ address = [ "subnetIp" ]; publicKey = [ "wireguard" "publicKey" ];
           privateKeyFile = [ "wireguard" "privateKeyFile" ]; listenPort = [ "port" ]; }.${builtins.head rest} or [ (builtins.head rest) ])
        ++ builtins.tail rest;
    in
    if under && n.clientFiles ? ${m} then p // { path = netPath net ++ [ "clients" m ] ++ renamed; files = n.clientFiles.${m}; }
    else if under && n.nixusServer && n.server == m then p // { path = netPath net ++ [ "server" ] ++ renamed; files = n.serverFiles; }
    else p;

  # The host of an endpoint "host:port" ("[v6]:port"), and its port; null for none.
  endpointHost = e:
    let
      m = builtins.match "\\[([^]]*)]:[0-9]+" e;
      n = builtins.match "(.*):[0-9]+" e;
    in
    if e == null then null else if m != null then builtins.head m else if n != null then builtins.head n else null;
  endpointPort = e: let m = if e == null then null else builtins.match ".*:([0-9]+)" e; in
    if m == null then null else lib.toInt (builtins.head m);

  # A member's endpoint at its own host address with another port than the one it
  # listens on: the others would send to a port where nothing listens (unless the host
  # forwards it, which nixmesh cannot see): said, not refused.
  portWarnings = lib.concatLists (lib.mapAttrsToList
    (net: n: lib.concatLists (lib.mapAttrsToList
      (m: mc:
        let
          own = lib.toLower (cross.hostAddress config.nodes.${m}.host);
          port = endpointPort mc.endpoint;
        in
        lib.optional (mc.endpoint != null && config.nodes ? ${m} && lib.toLower (endpointHost mc.endpoint) == own && port != null && mc.listenPort != null && port != mc.listenPort)
          "`vpn.networks.${net}.members.${m}.endpoint'${cross.inFiles networks.${net}.members.${m}.files} is ${mc.endpoint}, ${m}'s own host at port ${toString port}, but it listens on ${toString mc.listenPort} (`listenPort'): the others would send to a port where nothing listens, unless the host forwards it. Use port ${toString mc.listenPort}, or set listenPort = ${toString port}.")
      n.members))
    resolved);

  # A tcp or http health check of an address inside a VPN's subnet: those checks run on
  # the deploying machine, which reaches the hosts by their SSH addresses and is no member
  # of the VPN; unless it has a route into the subnet, the check fails and the host rolls
  # back (a warning: a deployer inside the VPN reaches it).
  checkWarnings = lib.concatLists (lib.mapAttrsToList
    (node: nc:
      let
        inVPN = h: builtins.filter (net: network.cidrContains resolved.${net}.subnet h) (builtins.attrNames resolved);
        checks = builtins.filter
          (c: let h = cross.checkedHost c; in h != null && network.isIP h && inVPN h != [ ])
          (nc.healthChecks.list or [ ]);
      in
      map
        (c:
          let
            h = cross.checkedHost c;
            net = builtins.head (inVPN h);
          in
          "`nodes.${node}.healthChecks.${c.kind}.${c.name}'${cross.inFiles (nc.healthChecks.where.${c.kind}.${c.name} or [ ])} checks ${h}, inside the subnet ${resolved.${net}.subnet} of `vpn.networks.${net}', from the deploying machine (tcp and http checks run there), which is no member of it: unless it has a route into the VPN, the check fails and ${node} is rolled back. Check the host's own address, or check on the host with a command check (it runs there, inside the VPN).")
        checks)
    (lib.filterAttrs (_: nc: nc.enable) config.nodes));

  # Subnets that would capture traffic they must not: two VPNs with overlapping subnets on
  # one host (which route wins is luck), and a VPN subnet that holds a node's own SSH
  # address or a member's endpoint (the tunnel would swallow the traffic that carries it).
  overlapProblems =
    let
      nets = builtins.attrNames resolved; # sorted; only networks without problems
      overlap = a: b: network.cidrContains a b || network.cidrContains b a;
      membersOf = net: builtins.attrNames resolved.${net}.members;
      pairProblems = lib.concatLists (lib.imap0
        (i: net: lib.concatMap
          (other:
            let shared = builtins.filter (m: builtins.elem m (membersOf other)) (membersOf net); in
            lib.optional (shared != [ ] && overlap resolved.${net}.subnet resolved.${other}.subnet)
              (problem (netPath net ++ [ "subnet" ]) networks.${net}.files
                "is ${resolved.${net}.subnet}, which overlaps ${resolved.${other}.subnet} of `vpn.networks.${other}' on ${cross.showNames shared}: which network a packet takes would be luck. Give the networks disjoint subnets."))
          (lib.take i nets))
        nets);
      ipOf = a: if a != null && network.isIP a then a else null;
      addressProblems = lib.concatMap
        (net:
          let subnet = resolved.${net}.subnet; in
          lib.concatMap
            (node:
              let a = ipOf (cross.hostAddress config.nodes.${node}.host); in
              lib.optional (a != null && network.cidrContains subnet a)
                (problem (netPath net ++ [ "subnet" ]) networks.${net}.files
                  "is ${subnet}, which holds ${a}, the SSH address of node `${node}' (nodes.${node}.host): the VPN's route would capture the traffic that reaches ${node}. Pick a subnet outside the hosts' addresses."))
            nodeNames
          ++ lib.concatMap
            (m:
              let a = ipOf (endpointHost resolved.${net}.members.${m}.endpoint); in
              lib.optional (a != null && network.cidrContains subnet a)
                (problem (memberPath net m ++ [ "endpoint" ]) networks.${net}.members.${m}.files
                  "is ${resolved.${net}.members.${m}.endpoint}, inside the network's own subnet ${subnet}: the tunnel would have to carry the packets that build it. Use an address outside the VPN."))
            (membersOf net))
        nets;
    in
    pairProblems ++ addressProblems;

  problems = lib.concatLists (builtins.attrValues problemsOf) ++ clashProblems ++ overlapProblems;

  # --- normalise: peers -------------------------------------------------------------------

  resolve = net: n:
    let
      a = addressingOf.${net};
      hostBits = if a.info.family == "ipv4" then 32 else 128;
      names = builtins.attrNames n.members;
      m = n.members;
      peerEntry = self: other: allowedIPs: {
        node = other;
        publicKey = m.${other}.publicKey;
        inherit allowedIPs;
        endpoint = m.${other}.endpoint;
        persistentKeepalive = if m.${other}.endpoint != null then m.${self}.persistentKeepalive else null;
      };
      single = other: [ "${a.addresses.${other}}/${toString hostBits}" ];
      peersOf = self:
        if n.topology == "star" then
          (if self == n.server then
            map (o: peerEntry self o (single o)) (builtins.filter (o: o != self) names)
          else [ (peerEntry self n.server [ a.info.networkCIDR ]) ])
        else
          map (o: peerEntry self o (single o))
            (builtins.filter (o: o != self && (m.${self}.endpoint != null || m.${o}.endpoint != null)) names);
    in
    {
      name = net;
      inherit (n) backend subnet topology server interface listenPort;
      inherit (a.info) family prefixLength;
      members = builtins.mapAttrs
        (self: mc: {
          node = self;
          address = a.addresses.${self};
          cidr = "${a.addresses.${self}}/${toString a.info.prefixLength}";
          assigned = mc.address == null;
          inherit (mc) publicKey privateKeyFile endpoint listenPort persistentKeepalive;
          role = if n.topology == "mesh" then "peer" else if self == n.server then "server" else "client";
          peers = peersOf self;
        })
        m;
    };

  resolved = builtins.mapAttrs resolve (lib.filterAttrs (net: _: problemsOf.${net} == [ ]) networks);

  # What the option `vpn.resolved` shows: every network, where one with problems throws
  # them when it is read. A module that reads `config.vpn.resolved.NET...` (a DNS record
  # with a member's address, say) then reports what is wrong with NET, where a missing
  # attribute would hide it. Backends iterate the networks of `vpn.problemFree` only.
  shownResolved = builtins.mapAttrs
    (net: _: resolved.${net} or (throw (lib.concatMapStringsSep "\n" cross.showProblem problemsOf.${net}
      + "\n(met while reading `vpn.resolved.${net}': a network with problems has no addresses or peers to read)")))
    networks;

  # --- group and emit (backend-neutral part) ----------------------------------------------

  # node -> [ { net; member } ] over every resolved network.
  membership = builtins.groupBy (x: x.member.node) (lib.concatLists (lib.mapAttrsToList
    (net: r: map (member: { inherit net member; r = r; }) (builtins.attrValues r.members))
    resolved));

  # A member's port, which configurationOf opens, closed again by a host module (the
  # others' packets would be dropped): only the hosts this evaluation checks.
  firewallProblems = lib.concatLists (lib.mapAttrsToList
    (node: ms:
      let
        nc = config.nodes.${node};
        firewall = nc.config.networking.firewall or { };
      in
      map
        (x: problem [ "nodes" node "configuration" "networking" "firewall" "allowedUDPPorts" ]
          (cross.userDefinitionFiles (nc.hostOptions.networking.firewall.allowedUDPPorts or { }))
          "lacks port ${toString x.member.listenPort}, where `${node}' listens for `vpn.networks.${x.net}'; a module of node `${node}' overrides it, and the firewall would drop the other members' packets.")
        (builtins.filter (x: x.member.listenPort != null && !(cross.firewallAllows firewall "UDP" x.member.listenPort)) ms))
    (lib.filterAttrs (node: _: cross.inCheckScope config.checkScope node) membership));

  configurationOf = node:
    let ms = membership.${node} or [ ]; in
    lib.optionalAttrs (ms != [ ]) {
      networking.hosts = lib.mkMerge (map
        (x: lib.mapAttrs' (_: o: lib.nameValuePair o.address [ "${o.node}.${x.net}" ]) x.r.members)
        ms);
      networking.firewall.allowedUDPPorts = map (x: x.member.listenPort) ms;
      networking.firewall.trustedInterfaces = map (x: x.r.interface) ms;
      # Forwarding, once per key however many networks this host serves, and at
      # mkDefault: NixOS merges each sysctl key with mergeOneOption, so a second
      # definition at the same priority (the user's own `ip_forward = 1`, another
      # network) would be an error. The user's setting wins.
      boot.kernel.sysctl = builtins.listToAttrs (map
        (family: lib.nameValuePair
          (if family == "ipv4" then "net.ipv4.ip_forward" else "net.ipv6.conf.all.forwarding")
          (lib.mkDefault 1))
        (cross.uniqueStrings (map (x: x.r.family) (builtins.filter (x: x.member.role == "server") ms))));
    };
in
{
  imports = [ ./cross/reachable-as.nix ./vpn/wireguard.nix ];

  options.vpn.networks = mkOption {
    type = types.attrsOf (types.submodule networkModule);
    default = { };
    example = lib.literalExpression ''
      {
        backbone = {
          subnet = "10.77.0.0/24";
          topology = "star";
          server = "gateway";
          members.gateway = { publicKey = "..."; address = "10.77.0.1"; };
          members.web.publicKey = "...";
        };
      }
    '';
    description = "VPNs between nodes, by network name.";
  };

  options.vpn.publicKeys = mkOption {
    type = types.attrsOf (types.attrsOf keyType);
    default = { };
    example = lib.literalExpression "lib.optionalAttrs (builtins.pathExists ./wireguard-keys.nix) (import ./wireguard-keys.nix)";
    description = ''
      Public keys of VPN members by network and node, as written by `nixmesh keys
      wireguard` (which generates each private key on its host and collects only the
      public half). A member's `publicKey` defaults to its entry here.
    '';
  };

  options.vpn.resolved = mkOption {
    type = types.unspecified;
    internal = true;
    readOnly = true;
    description = ''
      Every network, normalised for the backends and for modules that read a member's
      address: addresses assigned, peers worked out (shape: see the comment at the top of
      modules/vpn.nix). A network with problems throws them when read; backends
      iterate the networks named in `vpn.problemFree`.
    '';
  };

  options.vpn.problemFree = mkOption {
    type = types.unspecified;
    internal = true;
    readOnly = true;
    description = ''
      The names of the networks without problems: those whose `vpn.resolved` entry a
      backend may read (the others throw their problems when read).
    '';
  };

  options.vpn.problems = mkOption {
    type = types.unspecified;
    internal = true;
    readOnly = true;
    description = "What is wrong with `vpn.networks` (list of { path, files, message }); reported through `assertions`.";
  };

  options.nodes = mkOption {
    type = types.attrsOf (types.submodule ({ name, ... }: {
      addresses = map (x: x.member.address) (membership.${name} or [ ]);
      reachableAs = map (x: "${name}.${x.net}") (membership.${name} or [ ]);
      configuration = configurationOf name;
    }));
  };

  config = {
    # Keys for a network or member that does not exist: left from a removed member, or a
    # typo that leaves the intended member without its key. Said, not refused (the file
    # is written by `nixmesh keys wireguard'). Every key is type-checked, also the ones no
    # member reads (a member with its own `publicKey'): a malformed key is an error
    # wherever it is.
    warnings = portWarnings ++ checkWarnings ++ builtins.deepSeq cfg.publicKeys lib.concatLists (lib.mapAttrsToList
      (net: keys:
        if !(networks ? ${net}) then [ "`vpn.publicKeys.${net}'${cross.inFiles (cross.attrDefinitionFiles options.vpn.publicKeys net)} names no network of `vpn.networks' (${lib.concatStringsSep ", " (builtins.attrNames networks)}); its keys are not used." ]
        else map (m: "`vpn.publicKeys.${net}.${m}'${cross.inFiles (keyFiles net m)}: `${m}' is no member of `vpn.networks.${net}'; the key is not used.")
          (builtins.filter (m: !(networks.${net}.members ? ${m})) (builtins.attrNames keys)))
      cfg.publicKeys);
    vpn.resolved = shownResolved;
    vpn.problemFree = builtins.attrNames resolved;
    vpn.problems = problems;
    assertions = cross.toAssertions problems;
    # Read the hosts in scope: every worker checks its own (see `hostAssertions`).
    hostAssertions = lib.optionals (problems == [ ]) (cross.toAssertions firewallProblems);

    planExtra.network.vpn.networks = builtins.mapAttrs
      (net: n: {
        inherit (n) backend subnet topology server interface listenPort persistentKeepalive files;
        members = builtins.mapAttrs
          (m: mc: {
            inherit (mc) publicKey privateKeyFile endpoint listenPort persistentKeepalive files;
            # The address in use: the explicit one, or the assigned one; null when the
            # network has problems that prevent assigning addresses.
            address = addressingOf.${net}.addresses.${m} or null;
            assigned = mc.address == null;
          })
          n.members;
      })
      networks;
  };
}
