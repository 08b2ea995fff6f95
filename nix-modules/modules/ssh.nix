# SSH access between the users of different hosts.
#
#   ssh.access.gateway.hostKeys.ed25519 = "ssh-ed25519 AAAA...";   # gateway's host key
#   ssh.access.web.keys.deploy = {
#     publicKey = "ssh-ed25519 AAAA... deploy@web";                # a key that lives on web
#     hasAccessTo.gateway.root = true;                             # web may `ssh root@gateway`
#   };
#
# Effect, written through `nodes.<host>.configuration` with NixOS option names:
#   - the key lands in `users.users.root.openssh.authorizedKeys.keys` on gateway;
#   - gateway's host keys land in `programs.ssh.knownHosts."gateway/<key name>"` on web,
#     under every name web may use for gateway: the node name,
#     `ssh.access.gateway.hostNames`, the address in `nodes.gateway.host`,
#     `nodes.gateway.addresses` and `.reachableAs` (VPN addresses and names, DNS names), and
#     `localhost` when a host grants access to itself ("[name]:port" for each when
#     `nodes.gateway.port` is not 22).
# The declared host keys also appear in `plan.network.ssh.<host>.hostKeys`, for the Go
# deployer to check host keys against.
#
# The module normalises, groups, then emits:
#   grants : [ { source; key; publicKey; target; user; } ]   one per `hasAccessTo` entry
#                                                            that is true, sorted
#   byTarget.<host>  -> its authorized keys, per user
#   bySource.<host>  -> the targets whose host keys it must know
# and each node's configuration is built from those two groupings.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cross = import ./cross/lib.nix { inherit lib; };
  network = import ../lib/network.nix { inherit lib; };
  inherit (cross) problem;

  cfg = config.ssh;
  nodeNames = builtins.attrNames config.nodes;
  isNode = n: config.nodes ? ${n};

  # An OpenSSH public key line: type, base64 blob, optional comment.
  # One line; the newline that ends a .pub file is allowed and dropped, so that
  # `builtins.readFile ./id_ed25519.pub` is a public key as it stands.
  publicKeyLine = types.strMatching
    "(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh[.]com|sk-ecdsa-sha2-nistp256@openssh[.]com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?\n?";
  publicKeyType = publicKeyLine // {
    description = "OpenSSH public key (`TYPE BASE64 [COMMENT]', one line, BASE64 being a key of that TYPE)";
    check = v: publicKeyLine.check v && cross.sshKeyFitsType v;
    merge = loc: defs: lib.removeSuffix "\n" (publicKeyLine.merge loc defs);
  };

  userRe = "[A-Za-z_][A-Za-z0-9_.-]*[$]?";

  keyModule = host: { name, config, options, ... }: {
    options = {
      publicKey = mkOption {
        type = publicKeyType;
        example = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIINmKM1T5zOF/8QQOIZRbYDO9J27AB0zzu0ip0scbW9h deploy@web";
        description = ''
          The public half of a key whose private half lives on host `${host}`. (Getting the
          private key onto the host is up to you, or to a secrets module.)
        '';
      };
      hasAccessTo = mkOption {
        type = types.attrsOf (types.attrsOf types.bool);
        default = { };
        example = { gateway.root = true; db.backup = true; };
        description = ''
          `<targetHost>.<targetUser> = true` lets this key log in as that user on that
          node: the key is added to the user's authorized keys there, and the target's
          host keys (`ssh.access.<targetHost>.hostKeys`, which must be set) to this host's
          known hosts.
        '';
      };
      files = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where this key is declared (for messages).";
      };
      grantFiles = mkOption {
        type = types.attrsOf (types.listOf types.str);
        internal = true;
        readOnly = true;
        description = "Where each target of `hasAccessTo` is granted (for messages).";
      };
    };
    config.files = cross.filesOf (removeAttrs options [ "files" "grantFiles" ]);
    config.grantFiles = builtins.mapAttrs (target: _: cross.attrDefinitionFiles options.hasAccessTo target) config.hasAccessTo;
  };

  accessModule = { name, options, ... }: {
    options = {
      hostKeys = mkOption {
        type = types.attrsOf publicKeyType;
        default = { };
        example = { ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKcX4uGB82267TDbJnUR1YXZSuITJke2bU05V6r/x/3A"; };
        description = ''
          The public host keys of node `${name}`, by a name of your choice (usually the key
          type). Hosts granted access to `${name}` get them as known hosts; the deployer
          checks `${name}`'s host key against them.
        '';
      };
      hostNames = mkOption {
        # A known_hosts line lists names separated by commas and ends them at a space; a
        # host on another port than 22 is looked up as `[host]:port', so "host:port" would
        # never match (a colon is otherwise an IPv6 address's).
        type = types.listOf (types.addCheck (types.strMatching "[^ ,\t\n]+")
          (x: builtins.match ".*:.*" x == null || network.isIPv6 x || builtins.match "\\[[^]]+]:[0-9]+" x != null)
          // { description = "host name or address (no spaces or commas; on another port than 22 written `[host]:port')"; });
        default = [ ];
        example = [ "web.example.org" "203.0.113.7" ];
        description = ''
          Extra names and addresses by which other hosts reach `${name}` over SSH; they are
          added to the known-hosts entries of its host keys.
        '';
      };
      keys = mkOption {
        type = types.attrsOf (types.submodule (keyModule name));
        default = { };
        description = "SSH keys that live on `${name}`, by a name of your choice, and what they may access.";
      };
      files = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where this host's access is declared (for messages).";
      };
      hostNamesFiles = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Where `hostNames` is defined (for messages).";
      };
    };
    config.files = cross.filesOf (removeAttrs options [ "files" "hostNamesFiles" "keys" ]);
    config.hostNamesFiles = cross.knownFiles (cross.definitionFiles options.hostNames);
  };

  # --- normalise ------------------------------------------------------------------------

  grants = lib.concatLists (lib.mapAttrsToList
    (source: access: lib.concatLists (lib.mapAttrsToList
      (key: k: lib.concatLists (lib.mapAttrsToList
        (target: users: lib.concatLists (lib.mapAttrsToList
          (user: granted: lib.optional granted {
            inherit source key target user;
            inherit (k) publicKey;
            files = let at = k.grantFiles.${target} or [ ]; in if at != [ ] then at else k.files;
          })
          users))
        k.hasAccessTo))
      access.keys))
    cfg.access);

  # --- checks ---------------------------------------------------------------------------

  grantPath = g: [ "ssh" "access" g.source "keys" g.key "hasAccessTo" g.target ];

  problems =
    lib.concatLists (lib.mapAttrsToList
      (host: access: lib.optional (!isNode host)
        (problem [ "ssh" "access" host ] (access.files ++ lib.concatMap (k: k.files) (builtins.attrValues access.keys))
          "names no node (nodes: ${cross.showNames nodeNames}). SSH access is declared per node: use a node's name, or add `nodes.${host}'."))
      cfg.access)
    ++ lib.concatMap
      (g:
        if !isNode g.target then
          [ (problem (grantPath g) g.files "grants access to `${g.target}', which is no node (nodes: ${cross.showNames nodeNames}).") ]
        else if builtins.match userRe g.user == null then
          [ (problem (grantPath g ++ [ g.user ]) g.files "`${g.user}' is not a valid user name (letters, digits, `_', `-', `.'; not starting with a digit or `-').") ]
        else if (cfg.access.${g.target}.hostKeys or { }) == { } then
          [ (problem (grantPath g ++ [ g.user ]) g.files "host `${g.source}' is granted access to host `${g.target}', but `${g.target}' has no host keys, so `${g.source}' could not verify it. Set `ssh.access.${g.target}.hostKeys', e.g. ssh.access.${g.target}.hostKeys.ed25519 = \"ssh-ed25519 AAAA...\" (the contents of /etc/ssh/ssh_host_ed25519_key.pub on ${g.target}).") ]
        else [ ])
      grants
    ++ hostNameClashes
    ++ reachableClashes;

  # A node's further address or name (`addresses', `reachableAs') that is another node's
  # own name or host address while their host keys differ: every host's known hosts
  # would list this node's keys under it too, so it could pass for the other.
  reachableClashes =
    let
      portName = t: n: let port = config.nodes.${t}.port; in if port == 22 then n else "[${n}]:${toString port}";
      primaryOwners = builtins.zipAttrsWith (_: ts: ts)
        (lib.concatMap (o: map (n: { ${portName o n} = o; }) (cross.uniqueStrings [ o (cross.hostAddress config.nodes.${o}.host) ])) nodeNames);
      keysOf = t: cfg.access.${t}.hostKeys or { };
    in
    lib.concatMap
      (t:
        let node = config.nodes.${t}; in
        lib.concatMap
          (n:
            let others = builtins.filter (o: o != t && keysOf o != keysOf t) (primaryOwners.${portName t n} or [ ]); in
            lib.optional (others != [ ])
              (problem [ "nodes" t (if builtins.elem n node.addresses then "addresses" else "reachableAs") ] node.reachableFiles
                "`${n}' is ${cross.showNames others}'s own name or host address, and ${if builtins.length others == 1 then "its" else "their"} host keys are not ${t}'s: every host's known hosts would list ${t}'s keys under it too, so ${t} could pass for ${cross.showNames others}. Remove it, or correct the node it belongs to."))
          (cross.uniqueStrings (node.addresses ++ node.reachableAs)))
      (builtins.filter (t: keysOf t != { }) nodeNames);

  # A name in one node's `hostNames' that is another node's own (its name, host address,
  # `addresses' or `reachableAs', at the same SSH port) while their host keys differ: a
  # host trusting both would take either one's key for it, so one could pass for the
  # other. (The same extra name in several nodes' `hostNames' is allowed: a round-robin
  # name is known by all of its hosts' keys.)
  hostNameClashes =
    let
      keyed = builtins.filter (t: isNode t && cfg.access.${t}.hostKeys != { }) (builtins.attrNames cfg.access);
      portName = t: n: let port = config.nodes.${t}.port; in if port == 22 then n else "[${n}]:${toString port}";
      ownNames = t:
        let node = config.nodes.${t}; in
        map (portName t) (cross.uniqueStrings ([ t (cross.hostAddress node.host) ] ++ node.addresses ++ node.reachableAs));
      owners = builtins.zipAttrsWith (_: ts: cross.uniqueStrings ts) (lib.concatMap (t: map (n: { ${n} = t; }) (ownNames t)) keyed);
      clashes = t: n:
        builtins.filter (o: o != t && cfg.access.${o}.hostKeys != cfg.access.${t}.hostKeys) (owners.${portName t n} or [ ]);
    in
    lib.concatMap
      (t: lib.concatMap
        (n: let others = clashes t n; in lib.optional (others != [ ])
          (problem [ "ssh" "access" t "hostNames" ] cfg.access.${t}.hostNamesFiles
            "`${n}' is how ${cross.showNames others} ${if builtins.length others == 1 then "is" else "are"} reached (node name, host, addresses or reachableAs), and ${if builtins.length others == 1 then "its" else "their"} host keys are not ${t}'s: hosts would accept ${t}'s key for it, so ${t} could pass for ${cross.showNames others}. Remove it, or correct the node it belongs to."))
        cfg.access.${t}.hostNames)
      keyed;

  # A granted user the target host does not declare: read from the hosts in scope, so
  # every worker checks its own nodes' (see `hostAssertions` in nodes.nix).
  userProblems = lib.concatMap
    (g: lib.optional (!(declaresUser g.target g.user))
      (problem (grantPath g ++ [ g.user ]) g.files "grants access to user `${g.user}' on `${g.target}', which `${g.target}' does not declare. nixmesh adds keys to users but never creates one (NixOS would reject a user that is neither a normal nor a system user, or has no group): declare it, e.g. nodes.${g.target}.configuration.users.users.${g.user} = { isNormalUser = true; };"))
    validGrants;

  # Whether the target host declares `user` as NixOS requires (users-groups.nix's
  # assertions): exactly one of normal and system user (a uid below 1000 counts as system)
  # and a primary group. Read from the host's evaluated config; this module's own keys do
  # not make a user declared. Only the problems read it, never the emitted configuration
  # (which it depends on).
  # Whether a node's host configuration is read by this evaluation's checks (all nodes,
  # unless the engine evaluates a share of them: `checkScope`, see nodes.nix).
  inScope = cross.inCheckScope config.checkScope;

  # Outside the scope a user counts as declared: the worker of its node checks it.
  declaresUser = target: user: !(inScope target) || declaresUser' target user;
  declaresUser' = target: user:
    let
      u = config.nodes.${target}.config.users.users.${user} or null;
      system = u.isSystemUser or false || ((u.uid or null) != null && u.uid < 1000);
      normal = u.isNormalUser or false;
    in
    u != null && system != normal && (u.group or "") != "";

  # What the hosts' final configurations must carry for every grant (checked once the
  # declarations have no problems): a host module may override the lists this module
  # sets (with mkForce, say), which would silently undo the grant.
  appliedProblems = lib.concatMap
    (g:
      let
        target = config.nodes.${g.target};
        source = config.nodes.${g.source};
        keys = target.config.users.users.${g.user}.openssh.authorizedKeys.keys or [ ];
        known = builtins.attrValues (source.config.programs.ssh.knownHosts or { });
        names = [ g.target "[${g.target}]:${toString target.port}" ];
        vouches = key: builtins.any
          (kh: (kh.publicKey or null) == key && builtins.any (n: builtins.elem n (kh.hostNames or [ ])) names)
          known;
      in
      lib.optional (inScope g.target && !(builtins.elem g.publicKey keys))
        (problem [ "nodes" g.target "configuration" "users" "users" g.user "openssh" "authorizedKeys" "keys" ]
          (cross.hostDefinitionFiles (target.hostOptions.users.users or { }) (v: v ? ${g.user}))
          "lacks the key `${g.key}' of host `${g.source}', which `ssh.access.${g.source}.keys.${g.key}.hasAccessTo.${g.target}.${g.user}' grants; a module of node `${g.target}' overrides the list (e.g. with mkForce).")
      ++ lib.concatMap
        (keyName: lib.optional (inScope g.source && !vouches cfg.access.${g.target}.hostKeys.${keyName})
          (problem [ "nodes" g.source "configuration" "programs" "ssh" "knownHosts" ]
            (cross.hostDefinitionFiles (source.hostOptions.programs.ssh.knownHosts or { }) (_: true))
            "has no entry with host key `${keyName}' of `${g.target}' under the name `${g.target}', though `${g.source}' is granted access to it; a module of node `${g.source}' overrides the known hosts."))
        (builtins.attrNames cfg.access.${g.target}.hostKeys))
    (builtins.filter (g: declaresUser g.target g.user) validGrants);

  valid = g: isNode g.source && isNode g.target && (cfg.access.${g.target}.hostKeys or { }) != { }
    && builtins.match userRe g.user != null;
  validGrants = cross.sortOn (g: "${g.source}\n${g.key}\n${g.target}\n${g.user}") (builtins.filter valid grants);

  # --- group ----------------------------------------------------------------------------

  byTarget = builtins.groupBy (g: g.target) validGrants;
  bySource = builtins.groupBy (g: g.source) validGrants;

  # Every name `source` may use for `target`.
  knownNames = source: target:
    let
      node = config.nodes.${target};
      names = cross.uniqueStrings (
        [ target ]
        ++ (cfg.access.${target}.hostNames or [ ])
        ++ [ (cross.hostAddress node.host) ]
        ++ node.addresses
        ++ node.reachableAs
        ++ lib.optional (source == target) "localhost");
    in
    if node.port == 22 then names else map (n: "[${n}]:${toString node.port}") names;

  # --- emit -----------------------------------------------------------------------------

  authorizedKeysOf = host:
    builtins.mapAttrs
      (_: gs: { openssh.authorizedKeys.keys = cross.uniqueStrings (map (g: g.publicKey) gs); })
      (builtins.groupBy (g: g.user) (byTarget.${host} or [ ]));

  knownHostsOf = host:
    builtins.listToAttrs (lib.concatMap
      (target: lib.mapAttrsToList
        (keyName: publicKey: lib.nameValuePair "${target}/${keyName}" {
          hostNames = knownNames host target;
          inherit publicKey;
        })
        cfg.access.${target}.hostKeys)
      (cross.uniqueStrings (map (g: g.target) (bySource.${host} or [ ]))));

  configurationOf = host:
    lib.optionalAttrs (byTarget ? ${host}) { users.users = authorizedKeysOf host; }
    // lib.optionalAttrs (bySource ? ${host}) { programs.ssh.knownHosts = knownHostsOf host; };
in
{
  imports = [ ./cross/reachable-as.nix ];

  options.ssh.access = mkOption {
    type = types.attrsOf (types.submodule accessModule);
    default = { };
    example = lib.literalExpression ''
      {
        gateway.hostKeys.ed25519 = "ssh-ed25519 AAAA...";
        web.keys.deploy = {
          publicKey = "ssh-ed25519 AAAA... deploy@web";
          hasAccessTo.gateway.root = true;
        };
      }
    '';
    description = ''
      SSH access between nodes, by node name: each node's public host keys and extra host
      names, and the keys that live on it with the users on other nodes they may log in as.
    '';
  };

  options.ssh.grants = mkOption {
    type = types.unspecified;
    internal = true;
    readOnly = true;
    description = ''
      The normalised grants: a sorted list of { source, key, publicKey, target, user },
      one per valid `hasAccessTo` entry that is true.
    '';
  };

  options.ssh.problems = mkOption {
    type = types.unspecified;
    internal = true;
    readOnly = true;
    description = "What is wrong with `ssh.access` (list of { path, files, message }); reported through `assertions`.";
  };

  options.nodes = mkOption {
    type = types.attrsOf (types.submodule ({ name, ... }: {
      config.configuration = configurationOf name;
    }));
  };

  config = {
    ssh.grants = validGrants;
    ssh.problems = problems ++ userProblems;
    # The declarations' problems are the network level's (checked once per run); what
    # reads the hosts' configurations is every worker's, for its own nodes: undeclared
    # users with them, the applied grants once nothing else is wrong.
    assertions = cross.toAssertions problems;
    # A key that lets no one in anywhere: `hasAccessTo' forgotten (said, not refused; a
    # key whose grants are all false is access revoked, as meant).
    warnings = lib.concatLists (lib.mapAttrsToList
      (host: access: lib.mapAttrsToList
        (key: k: "`ssh.access.${host}.keys.${key}'${cross.inFiles k.files} grants nothing: it has no `hasAccessTo', so the key is added nowhere. Grant it, e.g. hasAccessTo.<node>.<user> = true; (or remove the key).")
        (lib.filterAttrs (_: k: k.hasAccessTo == { }) access.keys))
      cfg.access);
    hostAssertions = cross.toAssertions
      (userProblems ++ lib.optionals (problems == [ ] && userProblems == [ ]) appliedProblems);

    planExtra.network.ssh = builtins.mapAttrs
      (host: access: {
        inherit (access) hostKeys hostNames files;
        keys = builtins.mapAttrs (_: k: { inherit (k) publicKey hasAccessTo files; }) access.keys;
      })
      cfg.access;
  };
}
