# Helpers shared by the cross-host modules (ssh.nix, vpn.nix, dns.nix).
#
# Type: { lib } -> attrset
#
# A *problem* is what a cross-host module finds wrong with its declarations:
#   { path = [ "vpn" "networks" "backbone" "members" "web" "address" ];  # the option
#     files = [ "/path/deploy.nix" ];                                    # where it is defined
#     message = "is 10.9.0.1, outside the subnet ..."; }                 # what and how to fix
# Each module collects its problems in a list and turns them into the framework's
# `assertions` with `toAssertions`, so that they are all reported together, each starting
# with the option path in the module system's `path' quoting.
{ lib }:
let
  inherit (builtins) match elemAt concatStringsSep filter foldl' stringLength substring;
in
rec {
  # nixmesh's IPv4/IPv6/CIDR helpers (lib/network.nix), always by path and under our own
  # name: nixpkgs' `lib.network` (since 2024) is an unrelated IPv6 parser, and older
  # nixpkgs have none. The framework uses only lib names that nixpkgs 22.11 has
  # (tests/lib-names-nixpkgs-22.11.txt); what is newer is carried here.
  network = import ../../lib/network.nix { inherit lib; };

  # `path.to.option.name' (in `FILE:LINE'): an entry of an attribute-set option and where
  # it is defined, for messages.
  showEntry = option: name: "${showPath (option.loc ++ [ name ])}${inFiles (attrDefinitionFiles option name)}";

  # A string without control characters (newlines, tabs, ...): for file paths and names
  # that end up in scripts, tables and logs line by line. (`.' and `[^/]' of Nix's
  # regular expressions match a newline.)
  noControlChars = s: builtins.match "[^[:cntrl:]]*" s != null;

  # A user or group name as useradd/groupadd/chown take it on the standalone hosts
  # (letters, digits, `_', `.', `-'; not starting with `-'; a final `$' for machine
  # accounts).
  accountNameRe = "[a-zA-Z0-9_.][a-zA-Z0-9_.-]*[$]?";

  # WireGuard's own formats, for the VPN module's types and the standalone host's checks.
  # A public (or private) key: 32 bytes in base64, the last character's padding bits zero.
  wireGuardKeyRe = "[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=";
  # A network interface name (Linux: at most 15 characters).
  interfaceNameRe = "[A-Za-z0-9_.+=-]{1,15}";
  # A name a new interface can take: `lo' is on every host already, and Linux refuses
  # `.' and `..' (they would be directories under /sys/class/net).
  isNewInterfaceName = name:
    builtins.match interfaceNameRe name != null && !(builtins.elem name [ "lo" "." ".." ]);
  # A DNS name whose last label starts with a letter (see hostRe).
  dnsNameRe =
    let label = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"; in
    "(${label}[.])*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?";
  # A host to connect to: a DNS name (whose last label starts with a letter, so that a
  # mistyped address such as 198.18.0.300 is not taken for a name), a dotted IPv4
  # address, or an IPv6 address in brackets (optionally with a %zone).
  hostRe =
    let
      name = dnsNameRe;
      octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
      ipv4 = "${octet}[.]${octet}[.]${octet}[.]${octet}";
      ipv6 = "\\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?]";
    in
    "${name}|${ipv4}|${ipv6}";

  # `host:port', an IPv6 host in brackets, port 1 to 65535.
  endpointRe = "([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+]):0*([0-9]{1,5})";
  isEndpoint = e:
    let m = if builtins.isString e then match endpointRe e else null; in
    m != null && (let port = builtins.fromJSON (elemAt m 1); in port >= 1 && port <= 65535);

  # Whether a line is an OpenSSH public key whose base64 blob is a key of the type the
  # line names: the blob begins with the type name, encoded (here the part of it that is
  # whole base64 groups); ed25519 and ECDSA blobs have a fixed length, and an RSA blob is
  # at least that of a 1024-bit key (204 characters: sshd refuses smaller RSA keys). So a
  # key pasted under the wrong type, or a made-up or truncated blob, is refused.
  # sshKeyFitsType "ssh-rsa AAAA" => false
  sshKeyFitsType = line:
    let
      prefixes = {
        "ssh-ed25519" = "AAAAC3NzaC1lZDI1NTE5";
        "ssh-rsa" = "AAAAB3NzaC1y";
        "ssh-dss" = "AAAAB3NzaC1k";
        "ecdsa-sha2-nistp256" = "AAAAE2VjZHNhLXNoYTItbmlzdHAy";
        "ecdsa-sha2-nistp384" = "AAAAE2VjZHNhLXNoYTItbmlzdHAz";
        "ecdsa-sha2-nistp521" = "AAAAE2VjZHNhLXNoYTItbmlzdHA1";
        "sk-ssh-ed25519@openssh.com" = "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t";
        "sk-ecdsa-sha2-nistp256@openssh.com" = "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5j";
      };
      lengths = {
        "ssh-ed25519" = 68;
        "ecdsa-sha2-nistp256" = 140;
        "ecdsa-sha2-nistp384" = 184;
        "ecdsa-sha2-nistp521" = 232;
      };
      m = match "([^ ]+) ([A-Za-z0-9+/]+={0,3})( [^\n]*)?\n?" line;
    in
    builtins.isString line && m != null && (
      let type = elemAt m 0; blob = elemAt m 1; in
      lib.hasPrefix (prefixes.${type} or "-") blob
      && (if lengths ? ${type} then stringLength blob == lengths.${type}
          else type != "ssh-rsa" || stringLength blob >= 204));

  # Whether a text holds a PEM or OpenSSH private key
  # ("-----BEGIN [RSA |EC |OPENSSH ]PRIVATE KEY-----"), for the hosts' checks of what
  # would reach the world-readable store.
  # isPrivateKey "-----BEGIN OPENSSH PRIVATE KEY-----\n..." => true
  isPrivateKey = text: builtins.isString text
    && match "(.*[^[:alnum:]])?PRIVATE KEY-----.*" text != null;

  # The list sorted by the key `f` gives each element (strings or numbers), stable; the
  # key is computed once per element. (nixpkgs' `lib.sortOn` exists only since 2023-12.)
  # sortOn builtins.stringLength [ "ccc" "a" "bb" ] => [ "a" "bb" "ccc" ]
  sortOn = f: list:
    map (p: p.v) (builtins.sort (a: b: a.k < b.k || (a.k == b.k && a.i < b.i))
      (lib.imap0 (i: v: { inherit i v; k = f v; }) list));

  # The index of the first element satisfying `pred`, or `default`.
  # (nixpkgs' `lib.lists.findFirstIndex` exists only since 2023-09.)
  # findFirstIndex (x: x > 2) null [ 1 3 5 ] => 1
  findFirstIndex = pred: default: list:
    let
      go = i: if i == builtins.length list then default
        else if pred (elemAt list i) then i else go (i + 1);
    in
    go 0;

  # "[user@]host" -> the host part, without IPv6 brackets or zone.
  # hostAddress "root@198.18.0.11" => "198.18.0.11"; hostAddress "[fd00::1]" => "fd00::1"
  hostAddress = host:
    let
      target = elemAt (match "(([^@]*)@)?(.*)" host) 2;
      bracketed = match "\\[([^]%]*)(%[^]]*)?]" target;
    in
    if bracketed == null then target else elemAt bracketed 0;

  # The host of an http(s) URL (brackets and zone removed), null when it is none.
  # urlHost "http://u@[fd00::1%eth0]:8080/x" => "fd00::1"
  urlHost = url:
    let
      rest = match "https?://([^/?#@]*@)?(.*)" url;
      hostPort = if rest == null then "" else elemAt rest 1;
      bracketed = match "\\[([^]%]*)(%[^]]*)?].*" hostPort;
      plain = match "([^]:/?#[]*).*" hostPort;
    in
    if bracketed != null then elemAt bracketed 0
    else if plain != null then elemAt plain 0
    else null;

  # The host a tcp or http health check (an entry of healthChecks.list) reaches from the
  # deploying machine; null for a command check, and for a tcp check without `host' (the
  # node's own host).
  checkedHost = c:
    if c.kind == "tcp" then c.host
    else if c.kind == "http" then urlHost c.url
    else null;

  # `host:port` for an endpoint, bracketing IPv6 addresses.
  # joinHostPort "fd00::1" 51820 => "[fd00::1]:51820"
  joinHostPort = host: port:
    if network.isIPv6 host then "[${host}]:${toString port}" else "${host}:${toString port}";

  # An option path as the module system shows it, in `...' quotes.
  # showPath [ "dns" "records" "a.b." ] => "`dns.records.\"a.b.\"'"
  showPath = path: "`${lib.showOption path}'";

  # " (in `f1', `f2')" or "" when no file is known.
  inFiles = files:
    let known = knownFiles files; in
    if known == [ ] then "" else " (in ${lib.showFiles known})";

  # A problem value (see above).
  problem = path: files: message: { inherit path files message; };

  # The problem as one line of text: option path, files, message.
  showProblem = p: "${showPath p.path}${inFiles p.files}: ${p.message}";

  # Problems -> entries of the framework's `assertions`.
  toAssertions = map (p: { assertion = false; message = showProblem p; });

  # The distinct strings of a list, first occurrence kept, in order (O(n log n)).
  # uniqueStrings [ "b" "a" "b" ] => [ "b" "a" ]
  uniqueStrings = list:
    (foldl'
      (acc: s: if acc.seen ? ${s} then acc else { seen = acc.seen // { ${s} = true; }; out = acc.out ++ [ s ]; })
      { seen = { }; out = [ ]; }
      list).out;

  # The files of every definition of the options of a submodule (its `options` argument),
  # for problems about the submodule as a whole.
  # Files that only declare the option (where its default comes from) are left out.
  # Each file once, at the first line it defines any of them on (`FILE:LINE`, or `FILE`
  # where the module system knows no position, as nixpkgs' lib does not).
  filesOf = options:
    firstPerFile (lib.concatMap definitionFiles (builtins.attrValues (lib.filterAttrs (_: o: lib.isOption o) options)));

  # Where an option is defined (not where it is only declared): `FILE:LINE` per
  # definition when the bundled module system recorded the definition's position,
  # else `FILE`.
  # definitionFiles options.address => [ "/src/deploy.nix:14" ]
  definitionFiles = o:
    let declared = map toString (o.declarations or [ ]); in
    if o ? definitionsWithLocations then
      map location (filter (d: !(builtins.elem (plainFile d.file) declared)) o.definitionsWithLocations)
    else filter (f: !(builtins.elem f declared)) (map plainFile (o.files or [ ]));

  # A definition's `FILE:LINE` (or `FILE`).
  location = d:
    let pos = d.pos or null; in
    if pos != null && pos ? line then "${plainFile (pos.file or d.file)}:${toString pos.line}" else plainFile d.file;

  # A definition's file without what the module system adds for a definition that a
  # deferred module brought (a node's configuration, `defaults'): "FILE, via option X"
  # is FILE.
  # plainFile "/src/deploy.nix, via option nodes.web.configuration" => "/src/deploy.nix"
  plainFile = f:
    let m = match "(.*), via option .*" (toString f); in
    if m == null then toString f else elemAt m 0;

  # Locations reduced to one per file, the lowest line kept, in order of first appearance.
  # firstPerFile [ "/a.nix:9" "/b.nix" "/a.nix:4" ] => [ "/a.nix:4" "/b.nix" ]
  firstPerFile = locations:
    let
      split = l: let m = match "(.*):([0-9]+)" l; in
        if m == null then { file = l; line = null; } else { file = elemAt m 0; line = lib.toInt (elemAt m 1); };
      parts = map split (knownFiles locations);
      files = uniqueStrings (map (p: p.file) parts);
      lowest = f: foldl' (acc: p: if p.file != f || p.line == null then acc
        else if acc == null || p.line < acc then p.line else acc) null parts;
    in
    map (f: let l = lowest f; in if l == null then f else "${f}:${toString l}") files;

  # The files outside nixmesh's own modules whose definitions of a host option (an option
  # of the host's evaluation: nodes.<node>.hostOptions...) satisfy `pred` (given the
  # definition's value): where a host module overrode what a cross-host feature set.
  # hostDefinitionFiles hostOptions.users.users (v: v ? root) => [ "/src/gateway.nix" ]
  hostDefinitionFiles = option: pred:
    knownFiles (map location (filter
      (d: !(ownFile (plainFile d.file)) && builtins.isAttrs d.value && pred d.value)
      (option.definitionsWithLocations or [ ])));

  # Whether a host name or address names the machine itself (loopback).
  # isLoopback "127.0.0.1" => true; isLoopback "web.lab.test" => false
  isLoopback = h: h != null && (builtins.elem (lib.toLower h) [ "localhost" "localhost." "::1" "0:0:0:0:0:0:0:1" ]
    || match "127\\.[0-9.]+" h != null);

  # What each -o of ssh's arguments gives: "-oKey=value", or "-o" then "Key=value".
  # sshOptionValues [ "-o" "User=ops" "-oPort=2" "-i" "k" ] => [ "User=ops" "Port=2" ]
  sshOptionValues = opts:
    let
      count = builtins.length opts;
      at = i: elemAt opts i;
    in
    lib.concatMap
      (i: if at i == "-o" then lib.optional (i + 1 < count) (at (i + 1))
        else lib.optional (lib.hasPrefix "-o" (at i)) (lib.removePrefix "-o" (at i)))
      (lib.range 0 (count - 1));

  # Whether the evaluation's checks cover a node's host (config.checkScope: null for
  # all, else the nodes a worker evaluates; see nodes.nix).
  # inCheckScope [ "web" ] "db" => false
  inCheckScope = checkScope: node: checkScope == null || builtins.elem node checkScope;

  # The locations outside nixmesh's own modules of every definition of a host option:
  # where a host module set it.
  # userDefinitionFiles hostOptions.services.nsd.enable => [ "/src/gateway.nix:3" ]
  # An option left at its default has none: the module system lists the default as a
  # definition (at priority 1500, in the declaring file, NixOS's own on NixOS nodes).
  userDefinitionFiles = option: knownFiles (map location (deploymentDefinitions null option));

  # The definitions of a host option that a deployment wrote: not nixmesh's own, not
  # those in files under nixosDir (a NixOS node's nixpkgs folder with a trailing /,
  # whose modules are NixOS's own; null: none), none for an option at its default.
  # deploymentDefinitions "/src/nixpkgs/" hostOptions.security.sudo.extraRules => [ ]
  deploymentDefinitions = nixosDir: option:
    if (option.highestPrio or 0) >= 1500 then [ ]
    else filter
      (d: let f = plainFile d.file; in !(ownFile f) && (nixosDir == null || !(lib.hasPrefix nixosDir f)))
      (option.definitionsWithLocations or [ ]);

  # Whether a host's firewall lets `port` in over `proto` ("TCP" or "UDP"): disabled, or the
  # port among its allowed ports or ranges, for all interfaces or one (NixOS's
  # `interfaces.<name>`). firewall: the host's networking.firewall.
  firewallAllows = firewall: proto: port:
    let
      opens = f: builtins.elem port (f."allowed${proto}Ports" or [ ])
        || builtins.any (r: r.from <= port && port <= r.to) (f."allowed${proto}PortRanges" or [ ]);
    in
    !(firewall.enable or true) || opens firewall || builtins.any opens (builtins.attrValues (firewall.interfaces or { }));

  # Where the definitions of an attribute-set option define the attribute `name`: the
  # line of `name = ...` itself when the value's positions are known, else the
  # definition's location.
  # attrDefinitionFiles options.environment.etc "motd" => [ "/src/web.nix:12" ]
  attrDefinitionFiles = option: name: pathInDefinitions (option.definitionsWithLocations or [ ]) [ name ];

  # Where definitions (entries of an option's definitionsWithLocations) set the nested
  # attribute `path` (a non-empty list of names) in their values: the line of its last
  # name when the value's positions are known, else the definition's location.
  # Definitions whose values are no attribute sets holding the path are left out.
  # pathInDefinitions options.vpn.publicKeys.definitionsWithLocations [ "backbone" "web" ]
  #   => [ "/src/wireguard-keys.nix:3" ]
  pathInDefinitions = defs: path:
    let
      parent = lib.lists.take (builtins.length path - 1) path;
      last = lib.last path;
    in
    knownFiles (map
      (d: let pos = builtins.unsafeGetAttrPos last (lib.getAttrFromPath parent d.value); in
        if pos != null then "${pos.file}:${toString pos.line}" else location d)
      (filter (d: builtins.isAttrs d.value && lib.hasAttrByPath path d.value) defs));

  # Whether a file is one of nixmesh's own modules (the cross-host features, the standalone
  # schema, the NixOS additions), not a deployment's.
  ownFile = f:
    builtins.elem (dirOf f) (map toString [ ../. ../vpn ../dns ../cross ../../nixos ])
    || lib.hasPrefix (toString ../../standalone/schema + "/") f;

  # The distinct files of a list, without the module system's "<unknown-file>".
  knownFiles = files: filter (f: f != "<unknown-file>") (uniqueStrings files);

  # A non-negative integer from the first `digits` hex digits of the sha256 of a string.
  # hashInt 8 "web" => an integer below 2^32
  hashInt = digits: s:
    let
      hex = substring 0 digits (builtins.hashString "sha256" s);
      values = { "0" = 0; "1" = 1; "2" = 2; "3" = 3; "4" = 4; "5" = 5; "6" = 6; "7" = 7;
        "8" = 8; "9" = 9; a = 10; b = 11; c = 12; d = 13; e = 14; f = 15; };
    in
    foldl' (acc: c: acc * 16 + values.${c}) 0 (lib.stringToCharacters hex);

  modInt = a: b: a - (a / b) * b;

  # Sorted attribute names of the nodes (for messages).
  showNames = names: if names == [ ] then "(none)" else concatStringsSep ", " names;
}
