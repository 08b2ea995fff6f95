# Authoritative DNS for the nodes: `dns.zones.<zone>` and `dns.records.<name>.<TYPE>`.
#
#   dns.zones."lab.test" = { primaryNode = "gateway"; secondaryNodes = [ "db" ]; };
#   dns.records."web.lab.test".A = "198.18.0.12";
#   nodes.web.dns.records."www.lab.test".CNAME = "web.lab.test";   # a node's own records
#
# Each record goes to the zone with the longest name that is a suffix of the record's
# name; the user never names the zone. The record types are a data table
# (dns/record-types.nix). Names are compared in lowercase, without the trailing dot.
#
# Effect, through `nodes.<host>.configuration` with NixOS option names: the primary serves
# its zones with nsd (`services.nsd.enable`, `interfaces`, `zones.<zone>.data`), notifies
# and allows transfers to the secondaries (`notify`, `provideXFR`); each secondary gets the
# same zone data and fetches updates from the primary (`requestXFR`, `allowNotify`); both
# open port 53 over TCP and UDP in `networking.firewall`.
#
# Normalise, group, emit:
#   records : [ { name; type; ttl; data; path; files; zone; owner } ]
#       one per record value, from `dns.records` (owner null) and every
#       `nodes.<n>.dns.records` (owner n); `data` is the rendered record data, `zone` the
#       longest matching zone or null, `path` the option path of the definition
#   byZone.<zone> = [ records ]  -> the zone files
#   zone files -> the nsd settings of the primary and the secondaries
#
# SOA serial. A serial must grow whenever a zone's content changes, stay put when it does
# not, and never go backwards; pure Nix remembers nothing between evaluations, so the
# memory is a small state file, `dns.serialsFile` (JSON: {"version":1,"zones":{"<zone>":
# {"hash":"<sha256>","serial":N}}}), kept next to deploy.nix and updated after each
# deployment of the zones' primaries (Go: crossmodules.Model.UpdateDNSSerials; CLI:
# `nixmesh check --update-dns-serials`). The rule, per zone:
#   - `dns.zones.<zone>.serial` set: that value;
#   - else no state for the zone: 1;
#   - else the state's hash equals the zone's content hash: the state's serial;
#   - else: the state's serial + 1 (modulo 2^32, skipping 0).
# The content hash is the sha256 of the zone file written with the placeholder `SERIAL`
# where the number goes, so it covers every record, TTL and SOA field. Between two
# updates of the state file every changed content gets the same `state + 1`; that is safe
# as long as the state is updated after each deployment (or `serial` is pinned). Rolling
# back to older content also raises the serial, as the secondaries need.
{ config, lib, options, ... }:
let
  inherit (lib) mkOption types;
  cross = import ./cross/lib.nix { inherit lib; };
  inherit (cross) problem network;

  cfg = config.dns;
  nodeNames = builtins.attrNames config.nodes;
  isNode = n: config.nodes ? ${n};

  recordTypes = import ./dns/record-types.nix { inherit lib network; };
  typeOrder = [ "SOA" "NS" "A" "AAAA" "CNAME" "MX" "TXT" "SRV" "CAA" ];
  typeRank = t: let i = cross.findFirstIndex (x: x == t) null typeOrder; in if i == null then 99 else i;

  # --- names ------------------------------------------------------------------------------

  labelRe = "([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)";
  recordNameRe = "([*][.])?(${labelRe}[.])*${labelRe}[.]?";
  # A time in a zone: 32-bit, of which RFC 2181 (8) allows the positive half.
  seconds = types.ints.between 0 2147483647 // { description = "seconds (0 to 2147483647)"; };
  zoneNameRe = "(${labelRe}[.])*${labelRe}[.]?";

  normalise = n: lib.toLower (lib.removeSuffix "." n);
  validName = re: n: builtins.match re n != null && builtins.stringLength (normalise n) <= 253;

  # The zone of a normalised name: the longest zone name equal to it or a suffix after a dot.
  zoneNames = builtins.filter (validName zoneNameRe) (builtins.attrNames cfg.zones);
  zonesByLength = cross.sortOn (z: -(builtins.stringLength (normalise z))) zoneNames;
  zoneOf = name: lib.findFirst
    (z: let zn = normalise z; in name == zn || lib.hasSuffix ".${zn}" name)
    null
    zonesByLength;

  # "hostmaster@example.org" -> "hostmaster.example.org."; a name stays a name.
  soaEmail = e:
    let m = builtins.match "([^@]+)@(.+)" e; in
    if m == null then (if lib.hasSuffix "." e then e else "${e}.")
    else "${builtins.replaceStrings [ "." ] [ "\\." ] (builtins.elemAt m 0)}.${lib.removeSuffix "." (builtins.elemAt m 1)}.";

  # --- options ----------------------------------------------------------------------------

  recordModule = { options, ... }: {
    options = builtins.mapAttrs
      (type: t: mkOption {
        type = types.coercedTo t.value (v: [ v ]) (types.listOf t.value);
        default = [ ];
        example = t.example;
        description = t.description + " One value or a list.";
      })
      recordTypes
    // {
      ttl = mkOption {
        type = types.nullOr seconds;
        default = null;
        example = 300;
        description = "The TTL of this name's records; null: the zone's `ttl`.";
      };
      files = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where the records are defined (for messages).";
      };
    };
    config.files = cross.filesOf (removeAttrs options [ "files" ]);
  };

  recordsType = types.attrsOf (types.submodule recordModule);

  recordsDescription = ''
    DNS records by fully qualified name (trailing dot optional), then by type (${builtins.concatStringsSep ", " (builtins.attrNames recordTypes)}).
    Each name goes to the zone in `dns.zones` with the longest matching suffix.
  '';

  zoneModule = { name, config, options, ... }: {
    options = {
      primaryNode = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "gateway";
        description = "The node that serves this zone from its zone file (with nsd).";
      };
      secondaryNodes = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "db" ];
        description = "Nodes that serve copies of the zone, transferred from the primary.";
      };
      ttl = mkOption {
        type = seconds;
        default = 3600;
        description = "The zone's default TTL (`$TTL`), in seconds.";
      };
      name = mkOption {
        type = types.str;
        default = name;
        defaultText = lib.literalExpression "<the attribute name>";
        description = "The zone's name; Nixus's option, accepted when it is the attribute name (with or without the final dot).";
      };
      serial = mkOption {
        type = types.nullOr (types.ints.between 1 4294967295);
        default = config.soa.serial;
        defaultText = lib.literalExpression "soa.serial";
        description = ''
          The SOA serial. null: from `dns.serialsFile` by the rule in the comment at the
          top of modules/dns.nix (it grows exactly when the zone's content changes).
        '';
      };
      soa = {
        master = mkOption {
          type = types.str;
          default = "ns.${normalise name}.";
          defaultText = lib.literalExpression "\"ns.<zone>.\"";
          description = "The primary name server's name (SOA MNAME).";
        };
        email = mkOption {
          type = types.str;
          default = "hostmaster@${normalise name}";
          defaultText = lib.literalExpression "\"hostmaster@<zone>\"";
          description = "The zone administrator's address, `user@domain` or in SOA form (SOA RNAME).";
        };
        refresh = mkOption { type = seconds; default = 3600; description = "Seconds between the secondaries' checks for a new serial."; };
        retry = mkOption { type = seconds; default = 900; description = "Seconds before a failed refresh is retried."; };
        expire = mkOption { type = seconds; default = 604800; description = "Seconds after which a secondary that cannot refresh stops answering."; };
        negativeTtl = mkOption { type = seconds; default = 300; description = "Seconds that resolvers cache a negative answer (SOA MINIMUM)."; };
        ttl = mkOption { type = types.nullOr seconds; default = null; description = "The SOA record's own TTL; null: the zone's `ttl` (Nixus's `soa.ttl`)."; };
        serial = mkOption {
          type = types.nullOr (types.ints.between 1 4294967295);
          default = null;
          description = "Nixus's place for the serial: the default of `serial`.";
        };
      };
      files = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where the zone is declared (for messages).";
      };
      primaryFiles = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where `primaryNode` is defined (for messages).";
      };
      secondaryFiles = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where `secondaryNodes` is defined (for messages).";
      };
      soaFiles = mkOption {
        type = types.attrsOf (types.listOf types.str);
        internal = true;
        readOnly = true;
        description = "Where each `soa` field is defined (for messages; the zone's files where it is not).";
      };
    };
    config.files = cross.filesOf (removeAttrs options [ "files" "primaryFiles" "secondaryFiles" "soaFiles" "soa" "name" ]);
    config.soaFiles = builtins.mapAttrs
      (_: o: let at = cross.knownFiles (cross.definitionFiles o); in if at != [ ] then at else config.files)
      (lib.filterAttrs (_: lib.isOption) options.soa);
    config.primaryFiles = cross.knownFiles (cross.definitionFiles options.primaryNode ++ cross.definitionFiles options.secondaryNodes);
    config.secondaryFiles = cross.knownFiles (cross.definitionFiles options.secondaryNodes);
  };

  nodeDnsModule = { name, config, options, ... }: {
    options.dns = {
      records = mkOption {
        type = recordsType;
        default = { };
        example = lib.literalExpression ''{ "web.lab.test".A = "198.18.0.12"; }'';
        description = "DNS records that belong to this node; as `dns.records`. ${recordsDescription}";
      };
      address = mkOption {
        type = types.nullOr (types.str // { name = "ipAddress"; description = "IP address"; check = network.isIP; });
        default = let a = cross.hostAddress config.host; in if network.isIP a then a else null;
        defaultText = lib.literalExpression "the address in `host`, when it is an IP address";
        description = ''
          The address this node's name server listens on and transfers zones from/to,
          when it is the primary or a secondary of a zone.
        '';
      };
      addressFiles = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where `dns.address` is defined, for messages.";
      };
    };
    config.dns.addressFiles = cross.knownFiles (cross.definitionFiles options.dns.address);
  };

  # --- normalise --------------------------------------------------------------------------

  recordsFrom = prefix: owner: records: lib.concatLists (lib.mapAttrsToList
    (rawName: r:
      let name = normalise rawName; in
      lib.concatLists (lib.mapAttrsToList
        (type: t: map
          (v: {
            inherit name rawName type owner;
            inherit (r) ttl files;
            data = t.render v;
            path = prefix ++ [ rawName ];
            zone = zoneOf name;
          })
          r.${type})
        recordTypes))
    records);

  # Names as declared (for the checks of names without values).
  declaredNames = lib.mapAttrsToList (n: r: { rawName = n; path = [ "dns" "records" n ]; inherit (r) files; }) cfg.records
    ++ lib.concatLists (lib.mapAttrsToList
      (node: nc: lib.mapAttrsToList (n: r: { rawName = n; path = [ "nodes" node "dns" "records" n ]; inherit (r) files; }) nc.dns.records)
      config.nodes);

  allRecords = recordsFrom [ "dns" "records" ] null cfg.records
    ++ lib.concatLists (lib.mapAttrsToList (node: nc: recordsFrom [ "nodes" node "dns" "records" ] node nc.dns.records) config.nodes);

  # --- checks -----------------------------------------------------------------------------

  zoneProblems = lib.concatLists (lib.mapAttrsToList
    (z: zc:
      let
        p = [ "dns" "zones" z ];
        # Where the zone's options are set, else where the zone itself is declared
        # (dns.zones."x.test" = { }).
        files = if zc.files != [ ] then zc.files else cross.attrDefinitionFiles options.dns.zones z;
      in
      if !validName zoneNameRe z then
        [ (problem p files "is not a valid zone name: labels of 1 to 63 letters, digits, `-' and `_' (not starting or ending with `-'), joined by dots, 253 characters at most.") ]
      else
        lib.optional (normalise zc.name != normalise z)
          (problem (p ++ [ "name" ]) files "is \"${zc.name}\", but the zone is `dns.zones.\"${z}\"': nixmesh names a zone by its attribute. Drop `name', or declare the zone as dns.zones.\"${zc.name}\".")
        ++ (
          let
            email = builtins.match "([^@]+)@(.+)" zc.soa.email;
            emailOk = if email == null then validName zoneNameRe zc.soa.email
              else builtins.match "[A-Za-z0-9._+-]+" (builtins.elemAt email 0) != null && validName zoneNameRe (builtins.elemAt email 1);
          in
          lib.optional (!validName zoneNameRe zc.soa.master)
            (problem (p ++ [ "soa" "master" ]) zc.soaFiles.master "is \"${zc.soa.master}\", which is not a domain name: the zone would not load. Set the primary name server's name, e.g. \"ns.${normalise z}.\".")
          ++ lib.optional (validName zoneNameRe zc.soa.master && builtins.match "[^.]+" zc.soa.master != null)
            (problem (p ++ [ "soa" "master" ]) zc.soaFiles.master "is \"${zc.soa.master}\", a single label: names here are absolute, so it would be the top-level name \"${zc.soa.master}.\". Write the full name, e.g. \"${zc.soa.master}.${normalise z}.\" (or \"${zc.soa.master}.\" if you mean that).")
          ++ lib.optional (!emailOk)
            (problem (p ++ [ "soa" "email" ]) zc.soaFiles.email "is \"${zc.soa.email}\", which is neither user@domain nor a domain name: the zone would not load. Set the administrator's address, e.g. \"hostmaster@${normalise z}\".")
          # A secondary drops the zone `expire' seconds after its last successful refresh,
          # and refreshes every `refresh' seconds (retrying every `retry' after a failure):
          # an expire below refresh + retry leaves the secondaries without the zone for
          # part of every cycle, or after one failed refresh.
          ++ lib.optional (zc.secondaryNodes != [ ] && zc.soa.expire < zc.soa.refresh + zc.soa.retry)
            (problem (p ++ [ "soa" "expire" ]) (zc.soaFiles.expire ++ zc.soaFiles.refresh)
              "is ${toString zc.soa.expire} s, below refresh + retry (${toString zc.soa.refresh} + ${toString zc.soa.retry} s): the secondaries (${lib.concatStringsSep ", " zc.secondaryNodes}) would stop answering for the zone ${if zc.soa.expire < zc.soa.refresh then "between their refreshes, while the primary is fine" else "after a single failed refresh"}. Make expire much longer than refresh (the default is 604800, a week).")
        )
        ++ (if zc.primaryNode == null then
          [ (problem (p ++ [ "primaryNode" ]) files "is not set: zone `${z}' needs a node to serve it. Set it to one of the nodes (${cross.showNames nodeNames}).") ]
        else if !isNode zc.primaryNode then
          [ (problem (p ++ [ "primaryNode" ]) zc.primaryFiles "is \"${zc.primaryNode}\", which is no node (nodes: ${cross.showNames nodeNames}).") ]
        else if !config.nodes.${zc.primaryNode}.enable then
          [ (problem (p ++ [ "primaryNode" ]) zc.primaryFiles "is \"${zc.primaryNode}\", a disabled node (`nodes.${zc.primaryNode}.enable' is false): the zone's name server would never be deployed. Enable it, or serve the zone from another node.") ]
        else if config.nodes.${zc.primaryNode}.dns.address == null then
          [ (problem [ "nodes" zc.primaryNode "dns" "address" ] zc.primaryFiles "is null, but `${zc.primaryNode}' is the primary of zone `${z}' and its `host' is not an IP address. Set the address its name server listens on.") ]
        else [ ])
        ++ (let secondaryAt = cross.knownFiles (zc.secondaryFiles ++ zc.primaryFiles); in lib.concatMap
          (s:
            if !isNode s then
              [ (problem (p ++ [ "secondaryNodes" ]) secondaryAt "names \"${s}\", which is no node (nodes: ${cross.showNames nodeNames}).") ]
            else if s == zc.primaryNode then
              [ (problem (p ++ [ "secondaryNodes" ]) secondaryAt "names \"${s}\", the zone's primary; a node is either the primary or a secondary of a zone.") ]
            else if !config.nodes.${s}.enable then
              [ (problem (p ++ [ "secondaryNodes" ]) secondaryAt "names \"${s}\", a disabled node (`nodes.${s}.enable' is false): it would never serve the zone. Enable it, or remove it from the secondaries.") ]
            else if config.nodes.${s}.dns.address == null then
              [ (problem [ "nodes" s "dns" "address" ] zc.primaryFiles "is null, but `${s}' is a secondary of zone `${z}' and its `host' is not an IP address. Set the address its name server listens on.") ]
            else [ ])
          (lib.unique zc.secondaryNodes))
        # A node listed twice serves the zone once: more likely another node was meant.
        ++ map
          (s: problem (p ++ [ "secondaryNodes" ]) zc.secondaryFiles "lists \"${s}\" more than once; a node is a zone's secondary once. Was another node meant?")
          (lib.unique (builtins.filter (s: lib.count (x: x == s) zc.secondaryNodes > 1) zc.secondaryNodes)))
    cfg.zones);

  nameProblems = lib.concatMap
    (d: lib.optional (!validName recordNameRe d.rawName)
      (problem d.path d.files "is not a valid domain name: labels of 1 to 63 letters, digits, `-' and `_' (not starting or ending with `-'), joined by dots, an optional leading `*.', 253 characters at most."))
    declaredNames;

  validRecords = builtins.filter (r: validName recordNameRe r.rawName) allRecords;

  outsideProblems = map
    (r: problem r.path r.files "is in no zone of `dns.zones' (zones: ${cross.showNames (map normalise zoneNames)}). Declare the zone it belongs to, e.g. dns.zones.\"${lib.concatStringsSep "." (lib.drop 1 (lib.splitString "." r.name))}\".primaryNode = \"...\", or fix the name.")
    (lib.attrValues (builtins.listToAttrs (map (r: lib.nameValuePair (lib.showOption r.path) r)
      (builtins.filter (r: r.zone == null) validRecords))));

  # Records per normalised name (across dns.records and every node's records).
  byName = builtins.groupBy (r: r.name) (builtins.filter (r: r.zone != null) validRecords);

  cnameProblems = lib.concatLists (lib.mapAttrsToList
    (name: rs:
      let
        cnames = builtins.filter (r: r.type == "CNAME") rs;
        others = builtins.filter (r: r.type != "CNAME") rs;
        first = builtins.head cnames;
        atApex = builtins.any (z: normalise z == name) zoneNames;
        otherTypes = cross.uniqueStrings (map (r: r.type) others ++ lib.optionals atApex [ "SOA" ]);
      in
      if cnames == [ ] then [ ]
      else if builtins.length (cross.uniqueStrings (map (r: r.data) cnames)) > 1 then
        [ (problem (first.path ++ [ "CNAME" ]) (lib.concatMap (r: r.files) cnames) "has several values (${lib.concatStringsSep ", " (cross.uniqueStrings (map (r: r.data) cnames))}) for `${name}'; a name is an alias of one name only.") ]
      else if otherTypes != [ ] then
        [ (problem (first.path ++ [ "CNAME" ]) (lib.concatMap (r: r.files) rs) "is set for `${name}', which also has ${lib.concatStringsSep ", " otherTypes} data${lib.optionalString atApex " (it is a zone's apex)"}. A CNAME must be the only data at its name (RFC 1034 3.6.2): remove the other records, or point the CNAME from another name.") ]
      else [ ])
    byName);

  # MX and NS must name a canonical name, not an alias (RFC 2181 10.3): many resolvers and
  # mail servers refuse to follow a CNAME there.
  aliasTargetProblems = lib.concatMap
    (r:
      let
        words = builtins.filter (w: builtins.isString w && w != "") (builtins.split "[[:space:]]+" r.data);
        target = normalise (lib.last words);
        aliases = builtins.filter (x: x.type == "CNAME") (byName.${target} or [ ]);
      in
      lib.optional (aliases != [ ])
        (problem (r.path ++ [ r.type ]) r.files "points at `${target}', which is an alias (CNAME to ${(builtins.head aliases).data}); an ${r.type} record must name the canonical name (${if r.type == "SRV" then "RFC 2782" else "RFC 2181 10.3"}): use ${(builtins.head aliases).data}"))
    (builtins.filter (r: r.zone != null && (r.type == "MX" || r.type == "NS" || r.type == "SRV")) validRecords);

  # CNAME chains that come back to where they began (a name that is its own alias, or a
  # ring of aliases): every lookup of them fails. Each ring is reported once, at its first
  # name in sort order.
  cnameLoopProblems =
    let
      aliasOf = name:
        let cs = builtins.filter (r: r.type == "CNAME") (byName.${name} or [ ]); in
        if cs == [ ] then null else normalise (builtins.head cs).data;
      ringFrom = start:
        let
          follow = seen: n:
            let next = aliasOf n; in
            if next == null || builtins.length seen > 64 then null
            else if next == start then seen ++ [ n ]
            else if builtins.elem next seen then null
            else follow (seen ++ [ n ]) next;
        in
        follow [ ] start;
      aliased = builtins.filter (n: aliasOf n != null) (builtins.attrNames byName);
    in
    lib.concatMap
      (name:
        let ring = ringFrom name; in
        lib.optional (ring != null && name == builtins.head (builtins.sort builtins.lessThan ring))
          (let r = builtins.head (builtins.filter (x: x.type == "CNAME") byName.${name}); in
          problem (r.path ++ [ "CNAME" ]) (lib.concatMap (n: lib.concatMap (x: x.files) (builtins.filter (x: x.type == "CNAME") byName.${n})) ring)
            (if builtins.length ring == 1 then "makes `${name}' an alias of itself: every lookup of it fails. Point it at the canonical name."
             else "is part of a ring of aliases (${lib.concatStringsSep " -> " (ring ++ [ name ])}): every lookup of them fails. Point one of them at a canonical name.")))
      aliased;

  # SRV records are looked up at _service._proto.name (RFC 2782): one elsewhere is never
  # found.
  srvNameProblems = map
    (r: problem (r.path ++ [ "SRV" ]) r.files "is set for `${r.name}', but SRV records are looked up at _service._proto.name (RFC 2782), e.g. _http._tcp.${r.zone}: no client would find this one. Rename it.")
    (builtins.filter (r: r.type == "SRV" && builtins.match "_[A-Za-z0-9-]+[.]_[A-Za-z0-9-]+([.].*)?" r.name == null) validRecords);

  # A target (of MX, NS, SRV, CNAME) inside a zone served here that has nothing at its
  # name: mail, delegations, services and aliases pointing at it would all fail. MX, NS
  # and SRV need an address (A or AAAA), a CNAME any record. Names covered by a wildcard
  # of the zone, or below a delegation (NS records under the apex), are not judged, except
  # a delegation's own name server inside the zone it delegates: resolvers find it only
  # by its address in this zone (glue), so that address is required.
  danglingTargetProblems =
    let
      targetOf = r: normalise (lib.last (builtins.filter (w: builtins.isString w && w != "") (builtins.split "[[:space:]]+" r.data)));
      ancestorsBelow = zone: name:
        let
          labels = lib.splitString "." name;
          n = builtins.length labels;
          zoneLabels = builtins.length (lib.splitString "." zone);
        in
        map (i: lib.concatStringsSep "." (lib.drop i labels)) (lib.range 1 (n - zoneLabels - 1));
      judged = zone: t:
        !(byName ? "*.${zone}")
        && !(builtins.any (a: builtins.any (x: x.type == "NS") (byName.${a} or [ ]) || byName ? "*.${a}") (ancestorsBelow zone t));
      has = t: types: builtins.any (x: builtins.elem x.type types) (byName.${t} or [ ]);
    in
    lib.concatMap
      (r:
        let
          t = targetOf r;
          zone = let z = zoneOf t; in if z == null then null else normalise z;
          needs = if r.type == "CNAME" then null else [ "A" "AAAA" ];
          missing = if needs == null then !(byName ? ${t}) else !(has t needs) && !(has t [ "CNAME" ]);
          at = normalise r.name;
          glue = r.type == "NS" && zone != null && at != zone && (t == at || lib.hasSuffix ".${at}" t);
        in
        if glue then
          lib.optional (!(has t [ "A" "AAAA" ]))
            (problem (r.path ++ [ "NS" ]) r.files "delegates `${at}' to `${t}', a name inside it, which has no address (A or AAAA) in zone `${zone}': resolvers can reach that name server only by its address here (glue). Add an A or AAAA record for ${t}, or name a server outside ${at}.")
        else
        lib.optional (t != "" && zone != null && judged zone t && missing)
          (problem (r.path ++ [ r.type ]) r.files "points at `${t}', which has ${if needs == null then "no records" else "no address (A or AAAA)"} in zone `${zone}', served here: ${if r.type == "CNAME" then "lookups of the alias" else "whatever uses this ${r.type}"} would fail. Add ${if needs == null then "records" else "an A or AAAA record"} for ${t}, or fix the name."))
      (builtins.filter (r: r.zone != null && builtins.elem r.type [ "MX" "NS" "SRV" "CNAME" ]) validRecords);

  # One zone declared under two spellings ("lab.test", "lab.test.", "LAB.test"): DNS names
  # ignore case and the final dot, so both would be the same zone with two contents.
  sameZoneProblems = lib.concatLists (lib.mapAttrsToList
    (zn: spellings: lib.optionals (builtins.length spellings > 1) (map
      (z: problem [ "dns" "zones" z ] cfg.zones.${z}.files
        "is the zone ${zn}, declared also as ${lib.concatMapStringsSep " and " (o: "`dns.zones.\"${o}\"'") (lib.remove z spellings)} (names ignore case and the final dot). Declare it once.")
      spellings))
    (builtins.groupBy normalise zoneNames));

  # CAA property tags a CA knows (the IANA registry). A CA ignores a property whose tag it
  # does not know, unless it is critical (flag 128), when it refuses to issue at all: a
  # typo ("issu") either lifts the restriction it meant or blocks every certificate.
  caaTags = [ "issue" "issuewild" "iodef" "contactemail" "contactphone" "issuemail" "issuevmc" ];
  caaWarnings = lib.concatMap
    (r:
      let
        m = builtins.match "([0-9]+)[[:space:]]+([A-Za-z0-9]+)[[:space:]].*" r.data;
        tag = if m == null then null else builtins.elemAt m 1;
      in
      lib.optional (tag != null && !builtins.elem (lib.toLower tag) caaTags)
        "${cross.showPath (r.path ++ [ "CAA" ])}${cross.inFiles r.files}: the CAA tag `${tag}' is none a certificate authority knows (${lib.concatStringsSep ", " caaTags}); CAs ignore such a property, or refuse every certificate when it is critical (flag 128).")
    (builtins.filter (r: r.type == "CAA") validRecords);

  # A node's dns.address set to another node's host address: its name server would listen
  # on an address of another host (nsd fails to start), and the names pointing at that
  # host would count as this node's.
  addressProblems = lib.concatMap
    (node:
      let
        a = config.nodes.${node}.dns.address;
        owners = builtins.filter (o: o != node && cross.hostAddress config.nodes.${o}.host == a) nodeNames;
      in
      lib.optional (a != null && a != cross.hostAddress config.nodes.${node}.host && owners != [ ])
        (problem [ "nodes" node "dns" "address" ] config.nodes.${node}.dns.addressFiles
          "is ${a}, the address of node `${builtins.head owners}' (nodes.${builtins.head owners}.host): ${node}'s name server cannot listen on another host's address. Set ${node}'s own address, or leave it unset (the address in `nodes.${node}.host')."))
    nodeNames;

  problems = addressProblems ++ zoneProblems ++ sameZoneProblems ++ nameProblems ++ outsideProblems ++ cnameProblems ++ aliasTargetProblems ++ cnameLoopProblems ++ srvNameProblems ++ danglingTargetProblems;

  # --- group and render -------------------------------------------------------------------

  goodZones = lib.filterAttrs (z: _: builtins.all (p: lib.take 3 p.path != [ "dns" "zones" z ]) zoneProblems && validName zoneNameRe z) cfg.zones;

  byZone = builtins.groupBy (r: r.zone) (builtins.filter (r: r.zone != null) validRecords);

  serialState =
    if cfg.serialsFile != null && builtins.pathExists cfg.serialsFile
    then (builtins.fromJSON (builtins.readFile cfg.serialsFile)).zones or { }
    else { };

  zoneText = z: zc: serial:
    let
      zn = normalise z;
      records = cross.sortOn (r: "${r.name}\t${toString (typeRank r.type)}\t${r.data}")
        (lib.attrValues (builtins.listToAttrs (map (r: lib.nameValuePair "${r.name}\t${r.type}\t${r.data}" r) (byZone.${z} or [ ]))));
      hasApexNS = builtins.any (r: r.type == "NS" && r.name == zn) records;
      line = r: "${r.name}.${lib.optionalString (r.ttl != null) " ${toString r.ttl}"} IN ${r.type} ${r.data}";
      master = if lib.hasSuffix "." zc.soa.master then zc.soa.master else "${zc.soa.master}.";
    in
    lib.concatStringsSep "\n" ([
      "; zone ${zn}, generated by nixmesh (dns.zones.\"${z}\")"
      "$ORIGIN ${zn}."
      "$TTL ${toString zc.ttl}"
      "@${lib.optionalString (zc.soa.ttl != null) " ${toString zc.soa.ttl}"} IN SOA ${master} ${soaEmail zc.soa.email} ${serial} ${toString zc.soa.refresh} ${toString zc.soa.retry} ${toString zc.soa.expire} ${toString zc.soa.negativeTtl}"
    ]
    ++ lib.optional (!hasApexNS) "@ IN NS ${master}"
    ++ map line records) + "\n";

  zones = builtins.mapAttrs
    (z: zc:
      let
        contentHash = builtins.hashString "sha256" (zoneText z zc "SERIAL");
        state = serialState.${normalise z} or null;
        bumped = let s = state.serial + 1; in if s > 4294967295 then 1 else s;
        serial =
          if zc.serial != null then zc.serial
          else if state == null then 1
          else if state.hash == contentHash then state.serial
          else bumped;
      in
      {
        name = normalise z;
        inherit contentHash serial;
        inherit (zc) primaryNode secondaryNodes;
        data = zoneText z zc (toString serial);
      })
    goodZones;

  # --- emit -------------------------------------------------------------------------------

  addressOf = n: config.nodes.${n}.dns.address;
  peer = n: "${addressOf n} NOKEY";

  # node -> [ { zone; role = "primary" | "secondary"; } ]
  roles = builtins.groupBy (x: x.node) (lib.concatLists (lib.mapAttrsToList
    (z: zone: [ { node = zone.primaryNode; inherit zone; role = "primary"; } ]
      ++ map (s: { node = s; inherit zone; role = "secondary"; }) zone.secondaryNodes)
    zones));

  configurationOf = node:
    let rs = roles.${node} or [ ]; in
    lib.optionalAttrs (rs != [ ]) {
      services.nsd = {
        enable = true;
        interfaces = [ (addressOf node) ];
        zones = builtins.listToAttrs (map
          (x: lib.nameValuePair x.zone.name ({ inherit (x.zone) data; }
            // (if x.role == "primary" then {
              notify = map peer x.zone.secondaryNodes;
              provideXFR = map peer x.zone.secondaryNodes;
            } else {
              requestXFR = [ (peer x.zone.primaryNode) ];
              allowNotify = [ (peer x.zone.primaryNode) ];
            })))
          rs);
      };
      networking.firewall.allowedTCPPorts = [ 53 ];
      networking.firewall.allowedUDPPorts = [ 53 ];
    };

  # What each name server's final configuration must carry: nsd enabled, and on the
  # primary the zone's data as generated. A host module may override them (mkForce, say),
  # which would silently serve another zone, or none. Only the hosts this evaluation
  # checks (`checkScope`).
  appliedProblems = lib.concatLists (lib.mapAttrsToList
    (node: rs:
      let
        nc = config.nodes.${node};
        nsd = nc.config.services.nsd or { };
        nsdOptions = nc.hostOptions.services.nsd or { };
        path = [ "nodes" node "configuration" "services" "nsd" ];
      in
      if !(nsd.enable or false) then
        [ (problem (path ++ [ "enable" ]) (cross.userDefinitionFiles (nsdOptions.enable or { })) "is false, but `${node}' serves ${lib.concatMapStringsSep ", " (x: "`${x.zone.name}' (${x.role})") rs} for `dns.zones'; a module of node `${node}' overrides it. Serve the zone${lib.optionalString (builtins.length rs > 1) "s"} from another node instead.") ]
      else
        let
          firewall = nc.config.networking.firewall or { };
          fwOptions = nc.hostOptions.networking.firewall or { };
        in
        lib.concatMap
          (proto: lib.optional (!(cross.firewallAllows firewall proto 53))
            (problem [ "nodes" node "configuration" "networking" "firewall" "allowed${proto}Ports" ] (cross.userDefinitionFiles (fwOptions."allowed${proto}Ports" or { }))
              "lacks port 53, but `${node}' serves ${lib.concatMapStringsSep ", " (x: "`${x.zone.name}'") rs} for `dns.zones' (${if proto == "TCP" then "zone transfers and large answers" else "queries"} come over ${proto}); a module of node `${node}' overrides it."))
          [ "UDP" "TCP" ]
        # nsd answers on the addresses of `interfaces' only (all of them when the list is
        # empty): the node's DNS address, where secondaries and clients ask, must be one.
        ++ lib.optional ((nsd.interfaces or [ ]) != [ ] && !(builtins.any (i: builtins.head (lib.splitString "@" i) == addressOf node) nsd.interfaces))
          (problem (path ++ [ "interfaces" ]) (cross.userDefinitionFiles (nsdOptions.interfaces or { }))
            "is ${builtins.toJSON nsd.interfaces}, without ${addressOf node}, the address where `${node}' serves ${lib.concatMapStringsSep ", " (x: "`${x.zone.name}'") rs} for `dns.zones' (nodes.${node}.dns.address); a module of node `${node}' overrides it.")
        ++ lib.concatMap
        (x: lib.optional (x.role == "primary" && ((nsd.zones or { }).${x.zone.name}.data or null) != x.zone.data)
          (problem (path ++ [ "zones" x.zone.name "data" ]) (cross.hostDefinitionFiles (nsdOptions.zones or { }) (v: v ? ${x.zone.name}))
            "is not the zone `dns.zones' generates for ${x.zone.name} from `dns.records'; a module of node `${node}' overrides it. Declare the zone's records in `dns.records' instead."))
        rs)
    (lib.filterAttrs (node: _: cross.inCheckScope config.checkScope node) roles));

  # Names that resolve to a node: its own records, and A/AAAA records pointing at one of
  # its addresses (`host`, `dns.address`, `addresses`).
  addressRecords = builtins.groupBy (r: r.data) (builtins.filter
    (r: r.owner == null && (r.type == "A" || r.type == "AAAA") && !(lib.hasPrefix "*" r.name))
    validRecords);
  namesOf = node:
    let
      nc = config.nodes.${node};
      addresses = cross.uniqueStrings (builtins.filter (a: a != null) ([ nc.dns.address (cross.hostAddress nc.host) ] ++ nc.addresses));
      own = map normalise (builtins.filter (validName recordNameRe) (builtins.attrNames nc.dns.records));
      pointing = lib.concatMap (a: map (r: r.name) (addressRecords.${a} or [ ])) addresses;
    in
    cross.uniqueStrings (builtins.filter (n: !(lib.hasPrefix "*" n)) own ++ pointing);
in
{
  imports = [ ./cross/reachable-as.nix ];

  options.dns = {
    zones = mkOption {
      type = types.attrsOf (types.submodule zoneModule);
      default = { };
      example = lib.literalExpression ''{ "lab.test" = { primaryNode = "gateway"; secondaryNodes = [ "db" ]; }; }'';
      description = "DNS zones served by the nodes, by zone name.";
    };
    records = mkOption {
      type = recordsType;
      default = { };
      example = lib.literalExpression ''
        {
          "web.lab.test".A = "198.18.0.12";
          "www.lab.test".CNAME = "web.lab.test.";
          "lab.test" = { MX = "10 mail.lab.test."; TXT = "v=spf1 mx -all"; };
          "_sip._udp.lab.test".SRV = { priority = 0; weight = 5; port = 5060; target = "sip.lab.test."; };
        }
      '';
      description = recordsDescription;
    };
    serialsFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = lib.literalExpression "./dns-serials.json";
      description = ''
        The state file that keeps SOA serials growing across deployments (see the comment
        at the top of modules/dns.nix). It need not exist yet; `nixmesh check
        --update-dns-serials` writes it after a deployment.
        null: every zone's serial is 1 unless `dns.zones.<zone>.serial` is set.
      '';
    };
    problems = mkOption {
      type = types.unspecified;
      internal = true;
      readOnly = true;
      description = "What is wrong with the DNS declarations (list of { path, files, message }); reported through `assertions`.";
    };
    rendered = mkOption {
      type = types.unspecified;
      internal = true;
      readOnly = true;
      description = "The zones without problems: { name, contentHash, serial, primaryNode, secondaryNodes, data } by zone.";
    };
  };

  options.nodes = mkOption {
    type = types.attrsOf (types.submodule ({ name, ... }: {
      imports = [ nodeDnsModule ];
      config.reachableAs = namesOf name;
      config.configuration = configurationOf name;
    }));
  };

  config = {
    warnings = caaWarnings;
    dns.problems = problems;
    dns.rendered = zones;
    assertions = cross.toAssertions problems;
    # Read the hosts in scope: every worker checks its own (see `hostAssertions`).
    hostAssertions = lib.optionals (problems == [ ]) (cross.toAssertions appliedProblems);

    planExtra.network.dns = {
      serialsFile = if cfg.serialsFile == null then null else toString cfg.serialsFile;
      zones = builtins.mapAttrs
        (z: zc: {
          inherit (zc) primaryNode secondaryNodes ttl soa files;
          name = normalise z;
          serial = zones.${z}.serial or null;
          contentHash = zones.${z}.contentHash or null;
        })
        cfg.zones;
      records = map
        (r: { inherit (r) name type ttl data zone owner files path; })
        allRecords;
      addresses = lib.mapAttrs (_: nc: nc.dns.address) config.nodes;
    };
  };
}
