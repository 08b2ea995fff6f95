# Builds a standalone host's `system.build.toplevel` from its evaluated configuration,
# with Nix builtins only (no nixpkgs, no bundled lib, no builder program): this file must
# work on a plain attribute set shaped like the schema's config, so it can be read and
# tested alone, and the system builds in any Nix sandbox, even one with no /bin/sh.
#
# The desired state is computed here, not on the host. It is written, as a short list of
# bash calls (`want_file`, `want_user`, ...), into one file made with builtins.toFile;
# the programs that apply it are the same in every generation (./system, copied into the
# store as they are). The toplevel is assembled by Nix's builtin:buildenv, which links
# the programs' folders together and adds the state file as `manifest.nix` (the one name
# that builder gives a generated entry). The host needs only bash, coreutils,
# util-linux, shadow (useradd/groupadd/usermod) and hostname, plus wg/wireguard-go and nsd
# when the configuration uses them.
#
# Type: { config, nodeName ? null, notApplied ? [ string ], optionPrefix ? string, system ? string } -> derivation
#
# Layout of the result (docs/internals.md, "The standalone toplevel"):
#   manifest.nix  activate  bin/switch-to-configuration  bin/nixmesh-switch
# manifest.nix names the node and config.json (the configuration) and refers to every
# store file the activation installs, so the toplevel's closure holds them all.
{ config
, nodeName ? null
, notApplied ? [ ]
  # Put before the option paths of messages: "nodes.web.configuration." in a deployment.
, optionPrefix ? ""
, system ? builtins.currentSystem
}:
let
  inherit (builtins)
    attrNames attrValues concatMap concatStringsSep elem filter foldl' genList groupBy
    hasContext head isAttrs isBool isInt isPath isString length listToAttrs map
    mapAttrs match replaceStrings sort stringLength substring tail toJSON;

  # --- small helpers (builtins only) ---------------------------------------------------

  # Quotes a string for bash: 'it'\''s'.
  esc = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] (toString s) + "'";
  escAll = l: concatStringsSep " " (map esc l);
  optional = c: x: if c then [ x ] else [ ];
  lines = l: concatStringsSep "\n" l + (if l == [ ] then "" else "\n");

  # A valid store-path name derived from an arbitrary label.
  storeName = label:
    let n = replaceStrings [ "/" " " "@" ":" "," "*" ] [ "-" "_" "_" "_" "_" "_" ] label;
    in if match "[A-Za-z0-9+._?=-]+" n != null && substring 0 1 n != "." then n else "nixmesh-file";

  # A standalone system has no builder, so none of its files may be the output of a
  # derivation (builtins.toFile refuses them); source paths and other toFile files are
  # fine. `origin` names the option for the message.
  checkedText = origin: s:
    let
      context = builtins.getContext s;
      outputs = filter (p: context.${p} ? outputs || (context.${p}.allOutputs or false)) (attrNames context);
    in
    if outputs == [ ] then s
    else throw "`${origin}' refers to the output of the derivation ${head outputs}. Standalone systems are built with Nix builtins only (so that they build in any sandbox) and cannot include a file a derivation makes: give the file as text or as a path (./file), or deploy this host with NixOS (nixpkgs).";

  # A store file holding `text`; its path depends only on the text.
  textFile = origin: label: text: builtins.toFile (storeName label) (checkedText origin text);

  # A `source` (Nix path or store path string) as a store path string with context.
  sourcePath = origin: label: src:
    if isPath src then "${builtins.path { path = src; name = storeName (baseNameOf (toString src)); }}"
    else checkedText origin (toString src);

  stripSlashes = s: if substring 0 1 s == "/" then stripSlashes (substring 1 (stringLength s) s) else s;
  chompNewline = s:
    let n = stringLength s; in
    if n > 0 && substring (n - 1) 1 s == "\n" then chompNewline (substring 0 (n - 1) s) else s;

  sysctlValue = v: if isBool v then (if v then "1" else "0") else toString v;

  # --- the desired state -----------------------------------------------------------------

  hostName = config.networking.hostName;

  # Managed files: { target; store; mode; user; group; origin; }.
  etcFiles = concatMap
    (name:
      let
        e = config.environment.etc.${name};
        rel = stripSlashes e.target;
        origin = "${optionPrefix}environment.etc.\"${name}\"";
        store =
          if e.text != null then textFile "${origin}.text" "etc-${rel}" e.text
          else if e.source != null then sourcePath "${origin}.source" "etc-${rel}" e.source
          else throw "The option `${origin}' has neither `text' nor `source' set; set one of them, or `enable = false'.";
      in
      if !e.enable then [ ]
      else if match "symlink|direct-symlink|0?[0-7]{3}|[0-7]{4}" e.mode == null then
        throw "The option `${origin}.mode' has the value `${e.mode}'; use \"symlink\" or an octal mode such as \"0644\"."
      else if rel == "" || match "(.*/)?\\.\\.?(/.*)?" rel != null || match ".*[\n\t].*" rel != null then
        throw "The option `${origin}.target' has the value `${e.target}', which is not a relative path under /etc without `.'/`..' components."
      else [{ target = "/etc/${rel}"; inherit store origin; inherit (e) mode user group; }])
    (attrNames config.environment.etc);

  users = attrValues config.users.users;

  keyFileEntries = concatMap
    (u:
      let
        ak = u.openssh.authorizedKeys;
        keys = ak.keys ++ map (f: chompNewline (builtins.readFile f)) (ak.keyFiles or [ ]);
      in
      optional (keys != [ ]) {
        target = "/etc/ssh/authorized_keys.d/${u.name}";
        store = textFile "${optionPrefix}users.users.${u.name}.openssh.authorizedKeys" "authorized_keys-${u.name}" (lines keys);
        mode = "0444";
        user = "+0";
        group = "+0";
        origin = "authorized keys of ${u.name}";
      })
    users;

  knownHostLines = concatMap
    (name:
      let
        h = config.programs.ssh.knownHosts.${name};
        key =
          if h.publicKey != null then h.publicKey
          else if (h.publicKeyFile or null) != null then chompNewline (builtins.readFile h.publicKeyFile)
          else throw "The option `programs.ssh.knownHosts.\"${name}\"' has neither `publicKey' nor `publicKeyFile' set.";
      in
      [ ((if h.certAuthority or false then "@cert-authority " else "") + concatStringsSep "," h.hostNames + " " + key) ])
    (attrNames config.programs.ssh.knownHosts);

  knownHostsEntries = optional (knownHostLines != [ ]) {
    target = "/etc/ssh/ssh_known_hosts";
    store = textFile "${optionPrefix}programs.ssh.knownHosts" "ssh_known_hosts" (lines knownHostLines);
    mode = "0444";
    user = "+0";
    group = "+0";
    origin = "known hosts";
  };

  hostnameEntries = optional (hostName != "") {
    target = "/etc/hostname";
    store = textFile "${optionPrefix}networking.hostName" "hostname" "${hostName}\n";
    mode = "0644";
    user = "+0";
    group = "+0";
    origin = "${optionPrefix}networking.hostName";
  };

  allFiles = etcFiles ++ keyFileEntries ++ knownHostsEntries ++ hostnameEntries;

  hostsEntries = filter (ip: config.networking.hosts.${ip} != [ ]) (attrNames config.networking.hosts);

  files =
    let
      byTarget = groupBy (f: f.target) allFiles;
      dups = filter (t: length byTarget.${t} > 1) (attrNames byTarget);
      d = head dups;
    in
    if dups != [ ] then
      throw "The file `${d}' is defined more than once, by: ${concatStringsSep ", " (map (f: f.origin) byTarget.${d})}. Keep one of the definitions."
    else if hostsEntries != [ ] && byTarget ? "/etc/hosts" then
      throw "`networking.hosts' and `environment.etc.hosts' both manage /etc/hosts; drop one of them."
    else sort (a: b: a.target < b.target) allFiles;

  # Groups: declared ones, then the primary and extra groups users refer to.
  declaredGroups = map (n: let g = config.users.groups.${n}; in { name = g.name or n; gid = g.gid or null; })
    (attrNames config.users.groups);
  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
  referencedGroups = filter (g: !(elem g (map (d: d.name) declaredGroups)))
    (unique (concatMap (u: optional (u.group != "") u.group ++ u.extraGroups) users));

  memberships =
    concatMap (u: map (g: { user = u.name; group = g; }) u.extraGroups) users
    ++ concatMap (n: map (m: { user = m; group = config.users.groups.${n}.name or n; }) (config.users.groups.${n}.members or [ ]))
      (attrNames config.users.groups);

  userCall = u:
    if u.isNormalUser && u.isSystemUser then
      throw "The options `users.users.${u.name}.isNormalUser' and `users.users.${u.name}.isSystemUser' are both true; set exactly one."
    else
      "want_user ${escAll [
        u.name
        (if u.uid == null then "" else toString u.uid)
        u.group
        u.home
        (if u.createHome then "1" else "0")
        (if u.isSystemUser then "1" else "0")
        u.description
        (if u.shell == null then "" else toString u.shell)
      ]}";

  sysctls = filter (k: config.boot.kernel.sysctl.${k} != null) (attrNames config.boot.kernel.sysctl);

  # Activation snippets in dependency order (depth-first, names sorted for stability).
  # Dependencies on NixOS's built-in stages are satisfied: every snippet runs after users,
  # groups, files and the hostname have been applied.
  builtinStages = [ "specialfs" "users" "groups" "etc" "hostname" "binsh" "usrbinenv" "var" "wrappers" "nix" ];
  snippets = mapAttrs
    (n: v: if isString v then { text = v; deps = [ ]; } else { text = v.text; deps = v.deps or [ ]; })
    config.system.activationScripts;
  visit = state: name: path:
    if elem name state then state
    else if elem name path then
      throw "The activation scripts depend on each other in a cycle: ${concatStringsSep " -> " (path ++ [ name ])}."
    else if !(snippets ? ${name}) then
      throw "The activation script `${head (path ++ [ "?" ])}' depends on `${name}', which is not defined (system.activationScripts.${name})."
    else
      let
        deps = filter (d: snippets ? ${d} || !(elem d builtinStages)) snippets.${name}.deps;
        after = foldl' (st: d: visit st d (path ++ [ name ])) state deps;
      in
      after ++ [ name ];
  snippetOrder = foldl' (st: n: visit st n [ ]) [ ] (sort (a: b: a < b) (attrNames snippets));

  # WireGuard.
  wgInterfaces = if config.networking.wireguard.enable or true then config.networking.wireguard.interfaces or { } else { };
  wgNames = sort (a: b: a < b) (attrNames wgInterfaces);
  wgCalls = concatMap
    (n:
      let i = wgInterfaces.${n}; in
      if (i.privateKey or null) != null then
        throw "The option `networking.wireguard.interfaces.${n}.privateKey' puts a secret into the Nix store; standalone hosts only accept `privateKeyFile'."
      else if i.privateKeyFile == null then
        throw "The option `networking.wireguard.interfaces.${n}.privateKeyFile' is not set; a WireGuard interface needs a private key file on the host (or `generatePrivateKeyFile = true' with a path)."
      else
        [ "wg_interface ${escAll [
            n
            i.privateKeyFile
            (if i.generatePrivateKeyFile or false then "1" else "0")
            (if i.listenPort == null then "" else toString i.listenPort)
            (if (i.mtu or null) == null then "" else toString i.mtu)
            (if i.allowedIPsAsRoutes or true then "1" else "0")
          ]} ${escAll i.ips}" ]
        ++ map
          (p:
            if (p.presharedKey or null) != null then
              throw "A peer of `networking.wireguard.interfaces.${n}.peers' sets `presharedKey', which puts a secret into the Nix store; use `presharedKeyFile'."
            else
              "wg_peer ${escAll [
                n
                p.publicKey
                (if p.endpoint == null then "" else p.endpoint)
                (if p.persistentKeepalive == null then "" else toString p.persistentKeepalive)
                (if p.presharedKeyFile == null then "" else p.presharedKeyFile)
              ]} ${escAll p.allowedIPs}")
          i.peers)
    wgNames;

  # nsd.
  nsd = config.services.nsd or { enable = false; };
  nsdZoneNames = if nsd.enable then sort (a: b: a < b) (attrNames nsd.zones) else [ ];
  nsdZoneFile = z: textFile "${optionPrefix}services.nsd.zones.\"${z}\".data" "nsd-zone-${z}" nsd.zones.${z}.data;
  nsdList = key: l: map (x: "  ${key}: ${x}") l;
  nsdConf = textFile "${optionPrefix}services.nsd" "nsd.conf" (lines (
    [
      "# nsd.conf generated by nixmesh for ${if hostName == "" then "this host" else hostName}"
      "server:"
      "  username: \"\""
      "  chroot: \"\""
      "  database: \"\""
      "  pidfile: \"/run/nixmesh/nsd/nsd.pid\""
      "  zonelistfile: \"/var/lib/nixmesh/nsd/zone.list\""
      "  xfrdfile: \"/var/lib/nixmesh/nsd/xfrd.state\""
      "  xfrdir: \"/var/lib/nixmesh/nsd/xfr\""
      "  logfile: \"/var/lib/nixmesh/nsd/nsd.log\""
      "  port: ${toString (nsd.port or 53)}"
      "  verbosity: ${toString (nsd.verbosity or 0)}"
    ]
    ++ map (a: "  ip-address: ${a}") nsd.interfaces
    ++ optional (!(nsd.ipv4 or true)) "  do-ip4: no"
    ++ optional (!(nsd.ipv6 or true)) "  do-ip6: no"
    ++ [ "remote-control:" "  control-enable: no" ]
    ++ concatMap
      (z:
        let zc = nsd.zones.${z}; in
        [ "zone:" "  name: \"${z}\"" "  zonefile: \"${nsdZoneFile z}\"" ]
        ++ nsdList "provide-xfr" (zc.provideXFR or [ ])
        ++ nsdList "notify" (zc.notify or [ ])
        ++ nsdList "allow-notify" (zc.allowNotify or [ ])
        ++ nsdList "request-xfr" (zc.requestXFR or [ ]))
      nsdZoneNames));

  # --- the generated part of `activate` ---------------------------------------------------

  section = title: body: ''

    # ${title}
    ${body}
  '';
  fn = name: calls: "${name}() {\n${concatStringsSep "" (map (c: "  ${c}\n") calls)}  :\n}";

  activateData = concatStringsSep "" [
    (section "The host name (empty: leave it alone)." "host_name=${esc hostName}")
    (section "Groups to create when missing: NAME GID (GID empty: any)."
      (fn "desired_groups" (map (g: "want_group ${escAll [ g.name (if g.gid == null then "" else toString g.gid) ]}") declaredGroups
        ++ map (g: "want_group ${esc g} ''") referencedGroups)))
    (section "Users to create when missing (never deleted):\n# NAME UID GROUP HOME CREATE-HOME SYSTEM-USER DESCRIPTION SHELL"
      (fn "desired_users" (map userCall users)))
    (section "Supplementary group memberships: USER GROUP."
      (fn "desired_memberships" (map (m: "want_membership ${escAll [ m.user m.group ]}") memberships)))
    (section "Managed files: TARGET STORE-FILE MODE USER GROUP ORIGIN.\n# Files of the previous generation that are not listed here are removed."
      (fn "desired_files" (map (f: "want_file ${escAll [ f.target f.store f.mode f.user f.group f.origin ]}") files)))
    (section "The managed block of /etc/hosts (networking.hosts)."
      "hosts_block=${esc (lines (map (ip: "${ip} ${concatStringsSep " " config.networking.hosts.${ip}}") hostsEntries))}")
    (section "Kernel parameters (boot.kernel.sysctl): KEY VALUE."
      (fn "desired_sysctl" (map (k: "want_sysctl ${escAll [ k (sysctlValue config.boot.kernel.sysctl.${k}) ]}") sysctls)))
    (section "Activation snippets, in dependency order: NAME SCRIPT."
      (fn "activation_snippets" (map (n: "run_snippet ${escAll [ n (textFile "${optionPrefix}system.activationScripts.${n}" "activation-${n}" snippets.${n}.text) ]}") snippetOrder)))
    (section "WireGuard interfaces:\n# wg_interface NAME PRIVATE-KEY-FILE GENERATE-KEY LISTEN-PORT MTU ROUTES ADDRESS...\n# wg_peer INTERFACE PUBLIC-KEY ENDPOINT KEEPALIVE PRESHARED-KEY-FILE ALLOWED-IP..."
      (fn "desired_wireguard" wgCalls))
    (section "nsd: enabled, its configuration, and the zones to check before switching (NAME FILE ...)."
      (concatStringsSep "\n" [
        "nsd_enable=${if nsd.enable then "1" else "0"}"
        "nsd_conf=${if nsd.enable then esc nsdConf else "''"}"
        "nsd_zones=(${escAll (concatMap (z: [ z (nsdZoneFile z) ]) nsdZoneNames)})"
      ]))
    (section "Options set in the configuration that standalone hosts accept but do not apply."
      "not_applied=(${escAll notApplied})")
  ];

  # config.json: the configuration without system.build, _module and the checks
  # (assertions and warnings ran when this system was built), for people and tools to
  # read. Functions (nixpkgs overlays, freeform values) have no JSON form; they are shown
  # as "<function>" instead of failing the build. Informational only, so the store paths
  # it mentions are not references (the files the activation uses are, through the state).
  jsonable = v:
    if builtins.isFunction v then "<function>"
    else if isAttrs v && !(v ? outPath) then mapAttrs (_: jsonable) v
    else if builtins.isList v then map jsonable v
    else v;
  configJSON = builtins.toFile "config.json" (builtins.unsafeDiscardStringContext (toJSON (jsonable
    (removeAttrs config [ "_module" "assertions" "warnings" "meta" ] // {
      system = removeAttrs (config.system or { }) [ "build" ];
    }))));

  nodeLabel = if nodeName != null then nodeName else hostName;
  name = "nixmesh-system-${storeName (if nodeLabel == "" then "host" else nodeLabel)}";

  # The generation's state, sourced by ./system/activate from SYSTEM/manifest.nix.
  state = builtins.toFile "${name}-state" (''
    # The desired state of ${nodeLabel}'s nixmesh system, computed by Nix; sourced by
    # SYSTEM/activate. (bash, not Nix: `manifest.nix' is the name Nix's builtin:buildenv
    # gives the one generated entry of a toplevel it assembles.)
    node_name=${esc nodeLabel}
  '' + activateData + ''

    # The configuration this state was computed from (for people and tools).
    config_json=${configJSON}
  '');

  # The programs every generation shares, copied into the store as they are (with their
  # executable bits): activate and bin/switch-to-configuration, and the remote switcher
  # (bin/nixmesh-switch), which NixOS systems carry too.
  programs = builtins.path { path = ./system; name = "nixmesh-standalone-programs"; };
  switcher = builtins.path { path = ../scripts/switcher; name = "nixmesh-switcher"; };
in
derivation {
  inherit name system;
  builder = "builtin:buildenv";
  # builtin:buildenv's list of folders to link together: ACTIVE PRIORITY OUTPUTS PATH...
  derivations = "true 5 1 ${programs} true 5 1 ${switcher}";
  manifest = state;
}
