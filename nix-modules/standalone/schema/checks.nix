# Mistakes in a standalone host's configuration that its activation would otherwise only
# meet on the host (or never): reported as assertions when the deployment is evaluated,
# before anything is built or copied. (Each message names the option under its node; nix-modules/default.nix
# also puts the node's name in front of it.)
{ lib, config, options, ... }:
let
  cross = import ../../modules/cross/lib.nix { inherit lib; };
  # " (in `FILE:LINE')" for the definitions of an attribute set option that define `name'.
  whereDefined = option: name: cross.inFiles (cross.attrDefinitionFiles option name);
  # The full path of an attribute of an option (under the node: `nodes.web.configuration.
  # environment.etc."motd"'), in the module system's quotes.
  pathOf = option: rest: cross.showPath (option.loc ++ rest);
  etc = config.environment.etc;
  scripts = builtins.mapAttrs
    (_: s: if builtins.isString s then { deps = [ ]; } else s)
    config.system.activationScripts;
  names = builtins.attrNames scripts;

  # NixOS's built-in activation stages: a dependency on one is met on standalone hosts
  # (every snippet runs after users, groups, files and the hostname are applied).
  builtinStages = [ "specialfs" "users" "groups" "etc" "hostname" "binsh" "usrbinenv" "var" "wrappers" "nix" ];
  depsOf = n: builtins.filter (d: scripts ? ${d}) (scripts.${n}.deps or [ ]);

  network = import ../../lib/network.nix { inherit lib; };

  # WireGuard keys written inline: NixOS takes them (into the world-readable store);
  # standalone hosts refuse them. (What `ip'/`wg' would refuse, on every kind of host:
  # modules/host/wireguard.nix.)
  wg = config.networking.wireguard.interfaces;
  wgPath = name: rest: pathOf options.networking.wireguard.interfaces ([ name ] ++ rest);
  wgWhere = name: whereDefined options.networking.wireguard.interfaces name;
  wgProblems = lib.concatLists (lib.mapAttrsToList
    (name: i:
      lib.optional (i.privateKey != null)
        "${wgPath name [ "privateKey" ]}${wgWhere name}: would put the private key into the world-readable Nix store; standalone hosts take `privateKeyFile' only (a file on the host, e.g. delivered as one of the node's `secrets')."
      ++ lib.optional (builtins.any (p: p.presharedKey != null) i.peers)
        "${wgPath name [ "peers" ]}${wgWhere name}: a peer sets `presharedKey', which would put the key into the world-readable Nix store; use `presharedKeyFile' (a file on the host, e.g. one of the node's `secrets').")
    wg);

  # /etc files the users activation owns, and targets that leave /etc.
  usersFiles = [ "passwd" "shadow" "group" "gshadow" "subuid" "subgid" ];
  etcProblems = lib.concatLists (lib.mapAttrsToList
    (name: e:
      let parts = builtins.filter (p: builtins.isString p && p != "" && p != ".") (builtins.split "/" e.target); in
      lib.optional (e.enable && builtins.match "symlink|direct-symlink|0?[0-7]{3}|[0-7]{4}" e.mode == null)
        "${pathOf options.environment.etc [ name "mode" ]}${whereDefined options.environment.etc name}: is \"${e.mode}\"; use \"symlink\" or an octal mode such as \"0644\"."
      ++ lib.optional (e.enable && parts == [ ])
        "${pathOf options.environment.etc [ name "target" ]}${whereDefined options.environment.etc name}: is \"${e.target}\", which names /etc itself; name a file below /etc (the target defaults to the attribute name)."
      ++ lib.optional (e.enable && !cross.noControlChars e.target)
        "${pathOf options.environment.etc [ name "target" ]}${whereDefined options.environment.etc name}: has a control character (a newline or tab) in ${builtins.toJSON e.target}; file names in /etc are written one per line."
      ++ lib.optional (e.enable && builtins.elem ".." parts)
        "${pathOf options.environment.etc [ name ]}${whereDefined options.environment.etc name}: the target \"${e.target}\" leaves /etc (\"..\"); files are placed below /etc only."
      ++ lib.optional (e.enable && parts == [ (builtins.head (parts ++ [ "" ])) ] && builtins.elem (builtins.head parts) usersFiles)
        "${pathOf options.environment.etc [ name ]}${whereDefined options.environment.etc name}: /etc/${builtins.head parts} is written by the activation from `users.users' and `users.groups'; a managed file there would replace every account of the host. Declare the users and groups instead.")
    etc);

  # A link into the store is root's and readable by all: an owner set for a file that
  # stays a link (NixOS applies user, group, uid and gid to copied files only) is not
  # what the host gets.
  etcOwnerIgnored = lib.concatLists (lib.mapAttrsToList
    (name: e:
      let
        owner =
          lib.optional (e.user != "+${toString e.uid}") "user ${e.user}"
          ++ lib.optional (e.user == "+${toString e.uid}" && e.uid != 0) "uid ${toString e.uid}"
          ++ lib.optional (e.group != "+${toString e.gid}") "group ${e.group}"
          ++ lib.optional (e.group == "+${toString e.gid}" && e.gid != 0) "gid ${toString e.gid}";
      in
      lib.optional (e.enable && builtins.elem e.mode [ "symlink" "direct-symlink" ] && owner != [ ])
        "${pathOf options.environment.etc [ name ]}${whereDefined options.environment.etc name}: sets an owner (${lib.concatStringsSep ", " owner}), which applies to a copied file only; with mode \"${e.mode}\"${lib.optionalString (e.mode == "symlink") " (the default)"} /etc/${e.target} is a link into the Nix store, owned by root and readable by everyone. Set `mode' (e.g. \"0440\") to copy it with that owner.")
    etc);

  # /etc/hosts lines start with an address: a name there ("web" = [ ... ]) makes a line
  # every resolver skips.
  hostsProblems = map
    (a: "${pathOf options.networking.hosts [ a ]}${whereDefined options.networking.hosts a}: \"${a}\" is not an IP address: networking.hosts maps addresses to names, e.g. networking.hosts.\"10.0.0.5\" = [ \"${a}\" ];")
    (builtins.filter (a: !network.isIP a) (builtins.attrNames config.networking.hosts));

  # Names the activation's groupadd and chown take: a group name with a space, or a
  # copied /etc file owned by one, would fail on the host, mid-activation.
  groupProblems = lib.concatLists (lib.mapAttrsToList
    (key: g: lib.optional (builtins.match cross.accountNameRe g.name == null)
      "${pathOf options.users.groups [ key ]}${whereDefined options.users.groups key}: \"${g.name}\" is no group name groupadd takes (letters, digits, `_', `.', `-'; not starting with `-').")
    config.users.groups);
  etcOwnerProblems = lib.concatLists (lib.mapAttrsToList
    (name: e: lib.concatMap
      (field: lib.optional (e.enable && !(lib.hasSuffix "symlink" e.mode) && builtins.match "[+][0-9]+|${cross.accountNameRe}" e.${field} == null)
        "${pathOf options.environment.etc [ name field ]}${whereDefined options.environment.etc name}: \"${e.${field}}\" is neither a ${if field == "user" then "user" else "group"} name nor `+N' (a numeric id): the file could not be given to it.")
      [ "user" "group" ])
    etc);

  # nsd's configuration names each zone: a name that is no DNS name breaks nsd.conf.
  nsdZoneProblems = lib.optionals config.services.nsd.enable (map
    (z: "${pathOf options.services.nsd.zones [ z ]}${whereDefined options.services.nsd.zones z}: \"${z}\" is not a zone name (a DNS name such as \"example.org\" or \"example.org.\").")
    (builtins.filter (z: builtins.match "${cross.dnsNameRe}[.]?" z == null) (builtins.attrNames config.services.nsd.zones)))
  # A zone served from its data (not transferred: no requestXFR) needs its SOA record:
  # without one nsd refuses the zone, and the activation would fail on the host.
  ++ lib.optionals config.services.nsd.enable (lib.mapAttrsToList
    (z: _: "${pathOf options.services.nsd.zones [ z "data" ]}${whereDefined options.services.nsd.zones z}: has no SOA record, and the zone has no `requestXFR' (which would make it a secondary, transferred from its primary): nsd would refuse to load it. Write the zone's records, starting with its SOA, or set `requestXFR'.")
    (lib.filterAttrs
      (_: zc: zc.requestXFR == [ ]
        && !(builtins.elem "SOA" (map lib.toUpper (builtins.filter builtins.isString (builtins.split "[[:space:]]+" zc.data)))))
      config.services.nsd.zones));

  # Port ranges given backwards (iptables refuses them).
  rangeProblems = lib.concatMap
    (proto: map
      (r: "${cross.showPath (options.networking.firewall."allowed${proto}PortRanges".loc)}${cross.inFiles (cross.definitionFiles options.networking.firewall."allowed${proto}PortRanges")}: the range { from = ${toString r.from}; to = ${toString r.to}; } ends before it starts.")
      (builtins.filter (r: r.from > r.to) config.networking.firewall."allowed${proto}PortRanges"))
    [ "TCP" "UDP" ];

  # A cycle through `start`, as the list of snippets start -> ... -> start, or null.
  cycleFrom = start:
    let
      go = path: n:
        if builtins.elem start (depsOf n) then path ++ [ n start ]
        else builtins.foldl'
          (found: d: if found != null || builtins.elem d (path ++ [ n ]) then found else go (path ++ [ n ]) d)
          null
          (depsOf n);
    in
    go [ ] start;
  # Each cycle once: from its first snippet by name.
  cycles = builtins.filter (c: c != null && builtins.head c == builtins.head (builtins.sort (a: b: a < b) c))
    (map cycleFrom names);
in
{
  config.warnings = etcOwnerIgnored;

  config.assertions =
    lib.mapAttrsToList
      (name: e: {
        assertion = !(e.enable && e.text != null && e.source != null);
        message = "${pathOf options.environment.etc [ name ]}${whereDefined options.environment.etc name} sets both `text' and `source': the file would silently be one of them. Keep one.";
      })
      etc
    ++ lib.concatMap
      (name: map
        (d: {
          assertion = false;
          message = "${pathOf options.system.activationScripts [ name "deps" ]}${whereDefined options.system.activationScripts name}: `${name}' depends on `${d}', which is not defined (activation scripts: ${lib.concatStringsSep ", " names}).";
        })
        (builtins.filter (d: !(scripts ? ${d}) && !(builtins.elem d builtinStages)) scripts.${name}.deps))
      names
    ++ map
      (c: {
        assertion = false;
        message = "${pathOf options.system.activationScripts [ (builtins.head c) "deps" ]}${whereDefined options.system.activationScripts (builtins.head c)}: the activation scripts depend on each other in a cycle: ${lib.concatStringsSep " -> " c}. No order can run them: break the cycle.";
      })
      cycles
    ++ map (message: { assertion = false; inherit message; })
      ((if config.networking.wireguard.enable then wgProblems else [ ]) ++ etcProblems ++ rangeProblems ++ hostsProblems
        ++ groupProblems ++ etcOwnerProblems ++ nsdZoneProblems);
}
