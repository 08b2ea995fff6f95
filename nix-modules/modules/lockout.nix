# Settings that would shut the deployer out of a NixOS node. A new system is confirmed
# over a new SSH connection; where the new system lets none in, every deploy of it ends
# in the host rolling back (and the operator reading a timeout). Warned of when the
# deployment is evaluated, naming where the setting was made:
#
#   - no sshd: services.openssh.enable is false (NixOS's default);
#   - sshd not on the node's port, or (listenAddresses) not on its address;
#   - the firewall closed to that port (services.openssh.openFirewall = false and the
#     port not opened otherwise), unless the firewall has trusted interfaces or rules of
#     the user's own, which may let the deployer in (a node's host is never inside one of
#     the deployment's VPNs: vpn.nix refuses that);
#   - the login user refused: root with PermitRootLogin "no" or "forced-commands-only",
#     a user outside AllowUsers or in DenyUsers, none of the user's groups (those the
#     configuration gives it) in AllowGroups, or one in DenyGroups;
#   - no key of the login user's in the configuration where sshd reads no other
#     (authorizedKeysInHomedir = false);
#   - keys refused (PubkeyAuthentication off), or AuthenticationMethods asking more than
#     a key of every login (nixmesh logs in with a key alone);
#   - the login user not declared where users.mutableUsers = false: the activation
#     replaces the user list with the declared one;
#   - for a login user other than root, sudo (the default privilegeEscalationCommand)
#     or doas turned off, or no rule of theirs that lets the user run commands without a
#     password (NixOS's wheel rule asks for one unless wheelNeedsPassword = false): the
#     confirmation runs as root.
#
# sshd's settings are read where NixOS writes them: the options, and the deployment's
# own sshd_config text (services.openssh.extraConfig, up to its first Match block:
# Port, ListenAddress, PermitRootLogin where the setting is null, AllowUsers and the
# like, which add up with the settings). A Match block that lets some connections in
# (PermitRootLogin, PubkeyAuthentication, AuthenticationMethods) may be the deployer's:
# the global value that would refuse it is then not warned of.
#
# Warnings, not errors: another SSH server (Tailscale's, say) may serve the host.
# Standalone hosts are left alone: their sshd is the host's own, not the
# configuration's. Older NixOS (permitRootLogin before settings.PermitRootLogin) is read
# too.
{ config, lib, nixmesh, ... }:
let
  cross = import ./cross/lib.nix { inherit lib; };
  network = import ../lib/network.nix { inherit lib; };

  # The lower-case keys sshOptions set with -o (and "user" for -l): settings the login
  # user and address may come from instead of `host'.
  optionKeys = opts:
    let key = o: let m = builtins.match " *([A-Za-z]+).*" o; in if m == null then "" else lib.toLower (builtins.head m); in
    map key (cross.sshOptionValues opts) ++ lib.optional (builtins.any (o: o == "-l" || lib.hasPrefix "-l" o) opts) "user";

  sameIP = a: b: network.isIP a && network.isIP b && network.canonicalIP a == network.canonicalIP b;

  # "[fd00::1]" -> "fd00::1" (NixOS's listenAddresses write IPv6 in brackets).
  unbracket = a: let m = builtins.match "\\[(.*)]" a; in if m == null then a else builtins.head m;

  # The directives of sshd_config text as { key (lower case); args; } (`Key value ...` or
  # `Key=value`, quotes dropped, comments skipped; sshd reads keywords in any case):
  # `global', those before the first Match block, which apply to every connection, and
  # `inMatch', those of the Match blocks, which apply to some.
  # sshdDirectives "Port 2222\nAllowUsers=ops deploy # us\nMatch User x\nPort 1" =>
  #   { global = [ { key = "port"; args = [ "2222" ]; } { key = "allowusers"; args = [ "ops" "deploy" ]; } ];
  #     inMatch = [ { key = "port"; args = [ "1" ]; } ]; }
  sshdDirectives = text:
    let
      parse = line:
        let
          bare = builtins.head (builtins.split "[ \t]#" (builtins.replaceStrings [ "\"" "\r" ] [ "" "" ] line));
          m = builtins.match "[ \t]*([A-Za-z]+)[ \t]*([= \t][ \t]*(.*))?" bare;
        in
        if m == null then null
        else { key = lib.toLower (builtins.elemAt m 0); args = builtins.filter (w: builtins.isString w && w != "") (builtins.split "[ \t]+" (toString (builtins.elemAt m 2))); };
      directives = builtins.filter (d: d != null) (map parse (lib.splitString "\n" text));
      firstMatch = lib.lists.findFirst (i: (builtins.elemAt directives i).key == "match") null
        (lib.range 0 (builtins.length directives - 1));
    in
    if firstMatch == null then { global = directives; inMatch = [ ]; }
    else {
      global = lib.take firstMatch directives;
      inMatch = builtins.filter (d: d.key != "match") (lib.drop firstMatch directives);
    };

  # A port number written in sshd_config; null for anything else.
  portOf = s: if s != null && builtins.match "[1-9][0-9]{0,4}" s != null then builtins.fromJSON s else null;

  # A ListenAddress argument: "10.0.0.1", "10.0.0.1:2222", "[fd00::1]:2222", "fd00::1".
  listenArg = a:
    let
      bracketed = builtins.match "\\[(.*)](:([0-9]+))?" a;
      withPort = builtins.match "([^:]*):([0-9]+)" a;
    in
    if bracketed != null then { addr = builtins.elemAt bracketed 0; port = portOf (builtins.elemAt bracketed 2); }
    else if withPort != null then { addr = builtins.elemAt withPort 0; port = portOf (builtins.elemAt withPort 1); }
    else { addr = a; port = null; };

  warningsOf = node: nc:
    let
      c = nc.config;
      o = nc.hostOptions;
      ssh = c.services.openssh or { };
      sshOptions = o.services.openssh or { };
      firewall = c.networking.firewall or { };
      settings = ssh.settings or { };

      path = rest: cross.showPath ([ "nodes" node "configuration" ] ++ rest);
      # Where the deployment set an option (not nixmesh, not NixOS's own modules, not
      # the option's default); else the node's configuration (a default at work).
      nixos = nixmesh.nixpkgsOf nc.nixpkgs + "/";
      definedAt = option: cross.knownFiles (map cross.location (cross.deploymentDefinitions nixos option));
      setAt = options:
        let files = lib.concatMap definedAt options; in
        cross.inFiles (if files == [ ] then nc.where.configuration else files);

      keys = optionKeys nc.sshOptions;
      parsed = builtins.match "(([^@]*)@)?(.*)" nc.host;
      user = if builtins.elem "user" keys then null else builtins.elemAt parsed 1;
      # The address connected to, when `host' alone says it (sshOptions may name another).
      address =
        if builtins.any (k: builtins.elem k [ "hostname" "proxycommand" ]) keys then null
        else cross.hostAddress nc.host;
      reach = "nixmesh logs in to `${node}' over SSH (${nc.host}, port ${toString nc.port})";
      rollsBack = "the new system could not be confirmed over a new connection, and the host would roll back to the old one (on every deploy)";

      # The deployment's own sshd_config text (services.openssh.extraConfig, after NixOS's
      # settings and its own lines): its directives for every connection.
      extraDefs = sshOptions.extraConfig or { };
      extraText = lib.concatMapStrings (d: "${toString d.value}\n") (cross.deploymentDefinitions nixos extraDefs);
      sections = sshdDirectives extraText;
      directives = sections.global;
      # Whether a Match block sets KEY to a value that lets the deployer in: it may
      # apply to the deployer's connection, so the global value is not warned of.
      matchAllows = key: ok: builtins.any (d: d.key == key && builtins.any ok d.args) sections.inMatch;
      argsOf = key: lib.concatMap (d: d.args) (builtins.filter (d: d.key == key) directives);
      firstArgs = key: map (d: builtins.head d.args) (builtins.filter (d: d.key == key && d.args != [ ]) directives);

      # sshd listens on every Port (the option's and the text's) at every ListenAddress
      # (the option's and the text's; none: every address).
      ports = (ssh.ports or [ 22 ]) ++ builtins.filter (p: p != null) (map portOf (argsOf "port"));
      listen = ssh.listenAddresses or [ ];
      listenAll = listen ++ map listenArg (firstArgs "listenaddress");
      listenOptions = lib.optional (listen != [ ]) (sshOptions.listenAddresses or { }) ++ lib.optional (firstArgs "listenaddress" != [ ]) extraDefs;
      endpoints =
        if listenAll == [ ] then map (port: { addr = null; inherit port; }) ports
        else lib.concatMap
          (l: if (l.port or null) == null then map (port: { addr = l.addr or null; inherit port; }) ports
          else [{ addr = l.addr or null; inherit (l) port; }])
          listenAll;
      servesAddress = a: a == null || address == null || !network.isIP address
        || builtins.elem (unbracket a) [ "0.0.0.0" "::" ] || sameIP (unbracket a) address;
      onPort = builtins.any (e: e.port == nc.port) endpoints;
      listening = builtins.any (e: e.port == nc.port && servesAddress e.addr) endpoints;
      showEndpoint = e: if e.addr == null then "port ${toString e.port}" else "${e.addr} port ${toString e.port}";

      ownRules = (firewall.extraCommands or "") != "" || (firewall.extraInputRules or "") != ""
        || definedAt (o.networking.firewall.trustedInterfaces or { }) != [ ];
      firewallCloses = (firewall.enable or false) && !ownRules && !cross.isLoopback address
        && !(cross.firewallAllows firewall "TCP" nc.port);

      # PermitRootLogin: the setting (older NixOS: services.openssh.permitRootLogin), which
      # NixOS writes before the text, else the text's (valueOf).
      root =
        if !(settings ? PermitRootLogin) && (ssh.permitRootLogin or null) != null
        then { value = ssh.permitRootLogin; option = [ "services" "openssh" "permitRootLogin" ]; defs = sshOptions.permitRootLogin or { }; }
        else valueOf "PermitRootLogin";
      permitRoot = if root == null then "prohibit-password" else root.value;

      # AllowUsers, DenyUsers, AllowGroups and DenyGroups add up, the setting's (NixOS
      # writes it as one line) and the text's lines: null where neither names any.
      # Patterns: NAME (users: or USER@HOST), with * and ? wildcards, or negated with !
      # (such a pattern may match; one with @HOST applies from that host only).
      listed = name:
        let fromSetting = settings.${name} or null; fromText = argsOf (lib.toLower name); in
        if fromSetting == null && fromText == [ ] then null else (if fromSetting == null then [ ] else fromSetting) ++ fromText;
      # The options a list came from, for the warning's path and files.
      listedAt = name:
        if (settings.${name} or null) != null
        then { option = [ "services" "openssh" "settings" name ]; defs = [ (sshOptions.settings or { }) ] ++ lib.optional (argsOf (lib.toLower name) != [ ]) extraDefs; }
        else { option = [ "services" "openssh" "extraConfig" ]; defs = [ extraDefs ]; };
      loose = p: builtins.match ".*[*?].*" p != null || lib.hasPrefix "!" p;
      userOf = p: builtins.head (lib.splitString "@" p);
      allowUsers = listed "AllowUsers";
      denyUsers = listed "DenyUsers";
      notAllowed = user != null && allowUsers != null && !builtins.any (p: loose p || userOf p == user) allowUsers;
      denied = user != null && denyUsers != null && builtins.elem user denyUsers;

      # Root by `sudo' or `doas' (nodes.<name>.privilegeEscalationCommand) for a user
      # other than root: the new system's rules must let the user in without a password
      # (the confirmation runs as root). sudo-rs where NixOS's security.sudo-rs replaces
      # sudo.
      tool = if user == null || user == "root" || nc.privilegeEscalationCommand == [ ] then null
        else baseNameOf (builtins.head nc.privilegeEscalationCommand);
      viaSudo = tool == "sudo";
      viaDoas = tool == "doas";
      sudoRs = (c.security.sudo-rs or { }).enable or false;
      sudoName = if sudoRs then "sudo-rs" else "sudo";
      sudo = c.security.${sudoName} or { };
      sudoDefs = o.security.${sudoName} or { };
      entry = lib.findFirst (u: (u.name or null) == user) null (builtins.attrValues (c.users.users or { }));
      # The user's groups; null where the configuration does not declare the user (the
      # host's own groups then, which any group rule may match).
      groups = if entry == null then null else
        [ (entry.group or "") ] ++ (entry.extraGroups or [ ])
        ++ builtins.attrNames (lib.filterAttrs (_: g: builtins.elem user (g.members or [ ])) (c.users.groups or { }));
      appliesTo = r: builtins.any (u: builtins.elem (toString u) [ user "ALL" ]) (r.users or [ ])
        || (if groups == null then (r.groups or [ ]) != [ ] else builtins.any (g: builtins.elem (toString g) groups) (r.groups or [ ]));
      noPassword = r: builtins.any (cmd: builtins.isAttrs cmd && builtins.elem "NOPASSWD" (cmd.options or [ ])) (r.commands or [ ]);
      sudoOff = viaSudo && !(sudo.enable or false) && !(c.security.sudo.enable or false);
      sudoAsks = viaSudo && !sudoOff && (sudo.extraConfig or "") == ""
        && !builtins.any (r: appliesTo r && noPassword r) (sudo.extraRules or [ ]);
      inWheel = groups != null && builtins.elem "wheel" groups;

      # doas: the last rule that matches decides. Those of the user's (or a group's) that
      # run any command as root: the last must be nopass; one for a given command that is
      # nopass may cover what nixmesh runs (not warned of).
      doas = c.security.doas or { };
      doasDefs = o.security.doas or { };
      doasOff = viaDoas && !(doas.enable or false);
      doasRules = builtins.filter (r: appliesTo r && builtins.elem (r.runAs or null) [ null "root" ]) (doas.extraRules or [ ]);
      doasAnyCommand = builtins.filter (r: (r.cmd or null) == null && (r.args or null) == null) doasRules;
      doasAsks = viaDoas && !doasOff && (doas.extraConfig or "") == ""
        && !builtins.any (r: (r.noPass or false) && ((r.cmd or null) != null || (r.args or null) != null)) doasRules
        && (doasAnyCommand == [ ] || !((lib.last doasAnyCommand).noPass or false));

      escalation =
        if viaSudo then {
          name = sudoName; off = sudoOff; asks = sudoAsks; offDefs = o.security.sudo.enable or { }; offName = "sudo";
          defs = sudoDefs; word = "NOPASSWD";
          rule = "{ users = [ \"${user}\" ]; commands = [ { command = \"ALL\"; options = [ \"NOPASSWD\" ]; } ]; }";
        }
        else if viaDoas then {
          name = "doas"; off = doasOff; asks = doasAsks; offDefs = doasDefs.enable or { }; offName = "doas";
          defs = doasDefs; word = "nopass";
          rule = "{ users = [ \"${user}\" ]; noPass = true; }";
        }
        else { off = false; asks = false; };

      # The user's groups against AllowGroups and DenyGroups (sshd reads the host's
      # groups: here those the configuration gives a user it declares; nothing is known
      # of an undeclared one's).
      knownGroups = if groups == null then null else lib.unique (builtins.filter (g: g != "") groups);
      allowGroups = listed "AllowGroups";
      denyGroups = listed "DenyGroups";
      notInAllowedGroup = user != null && knownGroups != null && allowGroups != null
        && !builtins.any (p: loose p || builtins.elem p knownGroups) allowGroups;
      deniedGroups = if user == null || knownGroups == null || denyGroups == null then [ ]
        else builtins.filter (g: builtins.elem g denyGroups) knownGroups;
      showGroups = gs: if gs == [ ] then "none" else lib.concatMapStringsSep ", " (g: "`${g}'") gs;

      # Keys read from the configuration only (authorizedKeysInHomedir = false): the
      # login user's must be declared there, unless keys come from elsewhere (files or
      # a command of the deployment's own).
      keysOfUser = if entry == null then [ ] else
        (entry.openssh.authorizedKeys.keys or [ ]) ++ (entry.openssh.authorizedKeys.keyFiles or [ ]);
      keysFromElsewhere = definedAt (sshOptions.authorizedKeysFiles or { }) != [ ]
        || !builtins.elem (ssh.authorizedKeysCommand or "none") [ "none" "" ]
        || !builtins.elem (settings.AuthorizedKeysCommand or "none") [ "none" "" null ];
      noKeys = user != null && !(ssh.authorizedKeysInHomedir or true) && !keysFromElsewhere && keysOfUser == [ ];

      # A single-valued keyword's value, where it comes from: sshd takes the first, the
      # setting's (NixOS writes the settings first), else the text's first line; null
      # where neither sets it.
      valueOf = name:
        let
          setting = settings.${name} or null;
          lines = builtins.filter (d: d.key == lib.toLower name && d.args != [ ]) directives;
        in
        if setting != null then { value = setting; option = [ "services" "openssh" "settings" name ]; defs = sshOptions.settings or { }; }
        else if lines != [ ] then { value = lib.concatStringsSep " " (builtins.head lines).args; option = [ "services" "openssh" "extraConfig" ]; defs = extraDefs; }
        else null;
      # nixmesh logs in with a key alone: sshd must take keys (PubkeyAuthentication), and
      # AuthenticationMethods, where set, must have a list that is a key alone (or be
      # "any").
      pubkey = valueOf "PubkeyAuthentication";
      keysRefused = pubkey != null && builtins.elem pubkey.value [ false "no" ]
        && !matchAllows "pubkeyauthentication" (a: lib.toLower a == "yes");
      methods = valueOf "AuthenticationMethods";
      methodLists = if methods == null then [ ] else
        builtins.filter (l: l != "") (lib.splitString " " (if builtins.isList methods.value then lib.concatStringsSep " " methods.value else toString methods.value));
      moreThanAKey = methods != null && methodLists != [ ]
        && !matchAllows "authenticationmethods" (a: a == "any" || a == "publickey")
        && !builtins.any (l: l == "any" || l == "publickey") methodLists;

      declared = builtins.any (u: (u.name or null) == user && (u.enable or true)) (builtins.attrValues (c.users.users or { }));
      userDropped = user != null && user != "root" && !(c.users.mutableUsers or true) && !declared;
    in
    if !(ssh.enable or false) then [
      "${path [ "services" "openssh" "enable" ]}${setAt [ (sshOptions.enable or { }) ]} is false: ${reach}, and no sshd would run in the new system; ${rollsBack}. Set services.openssh.enable = true (unless another SSH server serves the host)."
    ] else
      lib.optional (!onPort)
        "${path [ "services" "openssh" (if listen != [ ] then "listenAddresses" else if listenAll != [ ] then "extraConfig" else "ports") ]}${setAt ([ (sshOptions.ports or { }) ] ++ listenOptions ++ lib.optional (argsOf "port" != [ ]) extraDefs)}: sshd would listen on ${lib.concatMapStringsSep ", " showEndpoint endpoints}, while ${reach}; ${rollsBack}. To move sshd to another port, list both for one deploy (e.g. services.openssh.ports = [ ${toString nc.port} ${toString (builtins.head (ports ++ [ 2222 ]))} ]), then set `nodes.${node}.port' to the new one.${lib.optionalString (nc.port == 22) " (Where ssh_config gives the host another port, set `nodes.${node}.port' to it: nixmesh then knows it too.)"}"
      ++ lib.optional (onPort && !listening)
        "${path [ "services" "openssh" (if listen != [ ] then "listenAddresses" else "extraConfig") ]}${setAt listenOptions}: sshd would listen on ${lib.concatMapStringsSep ", " showEndpoint endpoints} only, not on ${address}, where ${reach}; ${rollsBack}. Add { addr = \"${address}\"; } to listenAddresses (or a ListenAddress line for it), or set `nodes.${node}.host' to an address sshd listens on."
      ++ lib.optional (listening && firewallCloses)
        "${path [ "networking" "firewall" ]}${setAt [ (sshOptions.openFirewall or { }) (o.networking.firewall.allowedTCPPorts or { }) (o.networking.firewall.enable or { }) ]} lets no TCP connection to port ${toString nc.port} in (services.openssh.openFirewall is ${lib.boolToString (ssh.openFirewall or true)}, and neither allowedTCPPorts nor allowedTCPPortRanges holds the port): ${reach}; ${rollsBack}. Open the port (services.openssh.openFirewall = true, or networking.firewall.allowedTCPPorts = [ ${toString nc.port} ])."
      ++ lib.optional (user == "root" && builtins.elem permitRoot [ "no" "forced-commands-only" ]
        && !matchAllows "permitrootlogin" (a: builtins.elem a [ "yes" "prohibit-password" "without-password" ]))
        "${path root.option}${setAt [ root.defs ]} ${if lib.last root.option == "extraConfig" then "sets PermitRootLogin" else "is"} \"${permitRoot}\": ${reach} as root, which sshd would then refuse; ${rollsBack}. Keep root's login by key (\"prohibit-password\"), or log in as another user (host = \"deploy@...\", with sudo)."
      ++ lib.optional notAllowed
        "${path (listedAt "AllowUsers").option}${setAt (listedAt "AllowUsers").defs}: AllowUsers does not list `${user}': ${reach} as ${user}, whom sshd would then refuse; ${rollsBack}. Add \"${user}\" to AllowUsers."
      ++ lib.optional denied
        "${path (listedAt "DenyUsers").option}${setAt (listedAt "DenyUsers").defs}: DenyUsers lists `${user}': ${reach} as ${user}, whom sshd would then refuse; ${rollsBack}."
      ++ lib.optional notInAllowedGroup
        "${path (listedAt "AllowGroups").option}${setAt (listedAt "AllowGroups").defs}: AllowGroups lists none of ${user}'s groups (${showGroups knownGroups}): ${reach} as ${user}, whom sshd would then refuse; ${rollsBack}. Add ${user} to a listed group (users.users.${user}.extraGroups), or list one of its groups."
      ++ lib.optional (deniedGroups != [ ])
        "${path (listedAt "DenyGroups").option}${setAt (listedAt "DenyGroups").defs}: DenyGroups lists ${user}'s group ${showGroups deniedGroups}: ${reach} as ${user}, whom sshd would then refuse; ${rollsBack}."
      ++ lib.optional keysRefused
        "${path pubkey.option}${setAt [ pubkey.defs ]}: PubkeyAuthentication is ${if pubkey.value == false then "false" else "\"no\""}: ${reach}${lib.optionalString (user != null) " as ${user}"} with a key, which sshd would then refuse; ${rollsBack}. Keep PubkeyAuthentication on."
      ++ lib.optional (!keysRefused && moreThanAKey)
        "${path methods.option}${setAt [ methods.defs ]}: AuthenticationMethods is \"${lib.concatStringsSep " " methodLists}\", which asks more than a key of every login: ${reach}${lib.optionalString (user != null) " as ${user}"} with a key alone, which sshd would then refuse; ${rollsBack}. Add a list that is a key alone for the deployer (e.g. in a Match block for its user or address: AuthenticationMethods publickey)."
      ++ lib.optional noKeys
        "${path [ "services" "openssh" "authorizedKeysInHomedir" ]}${setAt [ (sshOptions.authorizedKeysInHomedir or { }) ]} is false and users.users.${user}.openssh.authorizedKeys declares no key: sshd would read ${user}'s keys from the configuration only, and find none, while ${reach} as ${user}; ${rollsBack}. Declare the deploying key there (users.users.${user}.openssh.authorizedKeys.keys)."
      ++ lib.optional escalation.off
        "${path [ "security" escalation.offName "enable" ]}${setAt [ escalation.offDefs ]} is false: ${reach} as ${user} and gains root with `${lib.concatStringsSep " " nc.privilegeEscalationCommand}', which the new system would not have; ${rollsBack}. ${if viaDoas then "Set security.doas.enable = true, with a rule that lets ${user} in without a password (security.doas.extraRules = [ ${escalation.rule} ])," else "Keep sudo,"} or log in as root."
      ++ lib.optional escalation.asks
        "${path [ "security" escalation.name ]}${setAt [ (escalation.defs.wheelNeedsPassword or { }) (escalation.defs.extraRules or { }) ]}: no rule lets `${user}' run commands as root without a password (${escalation.word})${lib.optionalString inWheel ": ${user} is in wheel, and security.${escalation.name}.wheelNeedsPassword is true"}. ${reach} as ${user} and gains root with `${lib.concatStringsSep " " nc.privilegeEscalationCommand}', which would then ask for a password (and fail); ${rollsBack}. Set security.${escalation.name}.wheelNeedsPassword = false (with ${user} in wheel), or add security.${escalation.name}.extraRules = [ ${escalation.rule} ]."
      ++ lib.optional userDropped
        "${path [ "users" "mutableUsers" ]}${setAt [ (o.users.mutableUsers or { }) ]} is false and users.users declares no `${user}': the activation would remove that user, and ${reach} as ${user}; ${rollsBack}. Declare it (users.users.${user}, with its key and sudo rights)."
  ;
in
{
  config.warnings = lib.concatLists (lib.mapAttrsToList warningsOf
    (lib.filterAttrs (node: nc: nc.enable && nc.kind == "nixos" && cross.inCheckScope config.checkScope node) config.nodes));
}
