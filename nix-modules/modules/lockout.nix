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
#     a user outside AllowUsers or in DenyUsers;
#   - no key of the login user's in the configuration where sshd reads no other
#     (authorizedKeysInHomedir = false);
#   - the login user not declared where users.mutableUsers = false: the activation
#     replaces the user list with the declared one;
#   - for a login user other than root, sudo (the default privilegeEscalationCommand)
#     turned off, or no sudo rule that lets the user run commands without a password
#     (NixOS's wheel rule asks for one unless wheelNeedsPassword = false): the
#     confirmation runs as root.
#
# Warnings, not errors: another SSH server (Tailscale's, say) may serve the host, and
# sshd settings of extraConfig are not read. Standalone hosts are left alone: their sshd
# is the host's own, not the configuration's. Older NixOS (permitRootLogin before
# settings.PermitRootLogin) is read too.
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

      ports = ssh.ports or [ 22 ];
      listen = ssh.listenAddresses or [ ];
      endpoints =
        if listen == [ ] then map (port: { addr = null; inherit port; }) ports
        else lib.concatMap
          (l: if (l.port or null) == null then map (port: { addr = l.addr or null; inherit port; }) ports
          else [{ addr = l.addr or null; inherit (l) port; }])
          listen;
      servesAddress = a: a == null || address == null || !network.isIP address
        || builtins.elem (unbracket a) [ "0.0.0.0" "::" ] || sameIP (unbracket a) address;
      onPort = builtins.any (e: e.port == nc.port) endpoints;
      listening = builtins.any (e: e.port == nc.port && servesAddress e.addr) endpoints;
      showEndpoint = e: if e.addr == null then "port ${toString e.port}" else "${e.addr} port ${toString e.port}";

      ownRules = (firewall.extraCommands or "") != "" || (firewall.extraInputRules or "") != ""
        || definedAt (o.networking.firewall.trustedInterfaces or { }) != [ ];
      firewallCloses = (firewall.enable or false) && !ownRules && !cross.isLoopback address
        && !(cross.firewallAllows firewall "TCP" nc.port);

      permitRoot =
        let v = if settings ? PermitRootLogin then settings.PermitRootLogin else ssh.permitRootLogin or null; in
        if v == null then "prohibit-password" else v;
      rootOption = if settings ? PermitRootLogin then [ "services" "openssh" "settings" "PermitRootLogin" ] else [ "services" "openssh" "permitRootLogin" ];
      rootOptionDefs = if settings ? PermitRootLogin then sshOptions.settings or { } else sshOptions.permitRootLogin or { };

      # AllowUsers/DenyUsers patterns: USER or USER@HOST, with * and ? wildcards (a
      # pattern with a wildcard may match; one with @HOST applies from that host only).
      wildcard = p: builtins.match ".*[*?].*" p != null;
      userOf = p: builtins.head (lib.splitString "@" p);
      allowUsers = settings.AllowUsers or null;
      denyUsers = settings.DenyUsers or null;
      notAllowed = user != null && allowUsers != null && !builtins.any (p: wildcard p || userOf p == user) allowUsers;
      denied = user != null && denyUsers != null && builtins.elem user denyUsers;

      # Root by `sudo' (nodes.<name>.privilegeEscalationCommand) for a user other than
      # root: the new system's sudoers must let the user in without a password (the
      # confirmation runs as root). sudo-rs where NixOS's security.sudo-rs replaces sudo.
      viaSudo = user != null && user != "root" && nc.privilegeEscalationCommand != [ ]
        && baseNameOf (builtins.head nc.privilegeEscalationCommand) == "sudo";
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

      # Keys read from the configuration only (authorizedKeysInHomedir = false): the
      # login user's must be declared there, unless keys come from elsewhere (files or
      # a command of the deployment's own).
      keysOfUser = if entry == null then [ ] else
        (entry.openssh.authorizedKeys.keys or [ ]) ++ (entry.openssh.authorizedKeys.keyFiles or [ ]);
      keysFromElsewhere = definedAt (sshOptions.authorizedKeysFiles or { }) != [ ]
        || !builtins.elem (ssh.authorizedKeysCommand or "none") [ "none" "" ]
        || !builtins.elem (settings.AuthorizedKeysCommand or "none") [ "none" "" null ];
      noKeys = user != null && !(ssh.authorizedKeysInHomedir or true) && !keysFromElsewhere && keysOfUser == [ ];

      declared = builtins.any (u: (u.name or null) == user && (u.enable or true)) (builtins.attrValues (c.users.users or { }));
      userDropped = user != null && user != "root" && !(c.users.mutableUsers or true) && !declared;
    in
    if !(ssh.enable or false) then [
      "${path [ "services" "openssh" "enable" ]}${setAt [ (sshOptions.enable or { }) ]} is false: ${reach}, and no sshd would run in the new system; ${rollsBack}. Set services.openssh.enable = true (unless another SSH server serves the host)."
    ] else
      lib.optional (!onPort)
        "${path [ "services" "openssh" (if listen == [ ] then "ports" else "listenAddresses") ]}${setAt [ (if listen == [ ] then sshOptions.ports or { } else sshOptions.listenAddresses or { }) ]}: sshd would listen on ${lib.concatMapStringsSep ", " showEndpoint endpoints}, while ${reach}; ${rollsBack}. To move sshd to another port, list both for one deploy (e.g. services.openssh.ports = [ ${toString nc.port} ${toString (builtins.head (ports ++ [ 2222 ]))} ]), then set `nodes.${node}.port' to the new one.${lib.optionalString (nc.port == 22) " (Where ssh_config gives the host another port, set `nodes.${node}.port' to it: nixmesh then knows it too.)"}"
      ++ lib.optional (onPort && !listening)
        "${path [ "services" "openssh" "listenAddresses" ]}${setAt [ (sshOptions.listenAddresses or { }) ]}: sshd would listen on ${lib.concatMapStringsSep ", " showEndpoint endpoints} only, not on ${address}, where ${reach}; ${rollsBack}. Add { addr = \"${address}\"; } to listenAddresses, or set `nodes.${node}.host' to an address sshd listens on."
      ++ lib.optional (listening && firewallCloses)
        "${path [ "networking" "firewall" ]}${setAt [ (sshOptions.openFirewall or { }) (o.networking.firewall.allowedTCPPorts or { }) (o.networking.firewall.enable or { }) ]} lets no TCP connection to port ${toString nc.port} in (services.openssh.openFirewall is ${lib.boolToString (ssh.openFirewall or true)}, and neither allowedTCPPorts nor allowedTCPPortRanges holds the port): ${reach}; ${rollsBack}. Open the port (services.openssh.openFirewall = true, or networking.firewall.allowedTCPPorts = [ ${toString nc.port} ])."
      ++ lib.optional (user == "root" && builtins.elem permitRoot [ "no" "forced-commands-only" ])
        "${path rootOption}${setAt [ rootOptionDefs ]} is \"${permitRoot}\": ${reach} as root, which sshd would then refuse; ${rollsBack}. Keep root's login by key (\"prohibit-password\"), or log in as another user (host = \"deploy@...\", with sudo)."
      ++ lib.optional notAllowed
        "${path [ "services" "openssh" "settings" "AllowUsers" ]}${setAt [ (sshOptions.settings or { }) ]} does not list `${user}': ${reach} as ${user}, whom sshd would then refuse; ${rollsBack}. Add \"${user}\" to AllowUsers."
      ++ lib.optional denied
        "${path [ "services" "openssh" "settings" "DenyUsers" ]}${setAt [ (sshOptions.settings or { }) ]} lists `${user}': ${reach} as ${user}, whom sshd would then refuse; ${rollsBack}."
      ++ lib.optional noKeys
        "${path [ "services" "openssh" "authorizedKeysInHomedir" ]}${setAt [ (sshOptions.authorizedKeysInHomedir or { }) ]} is false and users.users.${user}.openssh.authorizedKeys declares no key: sshd would read ${user}'s keys from the configuration only, and find none, while ${reach} as ${user}; ${rollsBack}. Declare the deploying key there (users.users.${user}.openssh.authorizedKeys.keys)."
      ++ lib.optional sudoOff
        "${path [ "security" "sudo" "enable" ]}${setAt [ (o.security.sudo.enable or { }) ]} is false: ${reach} as ${user} and gains root with `${lib.concatStringsSep " " nc.privilegeEscalationCommand}', which the new system would not have; ${rollsBack}. Keep sudo, or log in as root."
      ++ lib.optional sudoAsks
        "${path [ "security" sudoName ]}${setAt [ (sudoDefs.wheelNeedsPassword or { }) (sudoDefs.extraRules or { }) ]}: no rule lets `${user}' run commands as root without a password (NOPASSWD)${lib.optionalString inWheel ": ${user} is in wheel, and security.${sudoName}.wheelNeedsPassword is true"}. ${reach} as ${user} and gains root with `${lib.concatStringsSep " " nc.privilegeEscalationCommand}', which would then ask for a password (and fail); ${rollsBack}. Set security.${sudoName}.wheelNeedsPassword = false (with ${user} in wheel), or add security.${sudoName}.extraRules = [ { users = [ \"${user}\" ]; commands = [ { command = \"ALL\"; options = [ \"NOPASSWD\" ]; } ]; } ]."
      ++ lib.optional userDropped
        "${path [ "users" "mutableUsers" ]}${setAt [ (o.users.mutableUsers or { }) ]} is false and users.users declares no `${user}': the activation would remove that user, and ${reach} as ${user}; ${rollsBack}. Declare it (users.users.${user}, with its key and sudo rights)."
  ;
in
{
  config.warnings = lib.concatLists (lib.mapAttrsToList warningsOf
    (lib.filterAttrs (node: nc: nc.enable && nc.kind == "nixos" && cross.inCheckScope config.checkScope node) config.nodes));
}
