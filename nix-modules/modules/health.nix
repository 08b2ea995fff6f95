# Health checks that gate a node's confirmation.
#
#   nodes.web.healthChecks.commands.nginx.command = "curl -fsS http://127.0.0.1/ >/dev/null";
#   nodes.web.healthChecks.tcp.https.port = 443;
#   nodes.web.healthChecks.http.site.url = "https://web.example.org/health";
#   nodes.db.healthChecks.features.dns = false;     # no default DNS check on db
#
# After a new system is activated, and before the deployer confirms it, the deploy engine
# runs every enabled check of the node: `commands` on the host itself (as root, through
# the node's privilegeEscalationCommand), `tcp` and `http` from the deploying machine. A
# check passes on exit 0 / a connection / the expected status, within `timeout` seconds,
# tried up to `retries` times `interval` seconds apart. Any failing check and the host is
# not confirmed: the engine tells it to roll back at once (`nixmesh-switch reject`), and
# the table names the check and its output.
#
# The cross-host features add checks of their own for what they declared on the node
# (named after the feature, `features.<feature>` turns them off per node; each is a
# `commands` entry at default priority, so `commands.vpn-<net>.retries` and the like tune it):
#   vpn-<net>    (vpn)  a WireGuard member: a peer handshakes (./health/wireguard.sh)
#   dns-<zone>   (dns)  a zone's primary or secondary answers the SOA with the zone's
#                       serial (./health/dns.sh; passes, saying so, without dig/drill)
#   ssh-<user>   (ssh)  a user granted access: exists, and sshd reads the granted keys
#                       from one of its authorized keys files (./health/ssh.sh)
#
# The checks run inside the node's confirmation window, which the deployer holds open for
# as long as they may take (successTimeout plus the longest check's retries x (timeout +
# interval)); see `plan.nodes.<n>.healthChecks` and deploy/health.go.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cross = import ./cross/lib.nix { inherit lib; };

  # http(s)://[userinfo@]host[:port][/path?query#fragment], as the deployer's HTTP
  # client takes it: a host, and a port it can connect to.
  httpUrlOk = url:
    let
      m = builtins.match "https?://([^/?#@[:space:]]*@)?(\\[[0-9A-Fa-f:.]+(%[^]]*)?]|[^]/?#:@[:space:][]+)(:([0-9]*))?([/?#][^[:space:]]*)?" url;
      port = builtins.head (builtins.match "0*([0-9]*)" (builtins.elemAt m 4));
    in
    m != null && (builtins.elemAt m 4 == null || builtins.elemAt m 4 == ""
      || port != "" && builtins.stringLength port <= 5 && builtins.fromJSON port <= 65535);

  # This machine's own names: a tcp or http check runs on the deploying machine, where
  # they name the deployer, not the node's host.
  inherit (cross) isLoopback;

  retryOptions = {
    enable = mkOption {
      type = types.bool;
      default = true;
      description = "Whether this check runs.";
    };
    timeout = mkOption {
      type = types.ints.positive;
      default = 10;
      description = "Seconds one attempt may take.";
    };
    retries = mkOption {
      type = types.ints.positive;
      default = 3;
      description = "How many attempts before the check fails.";
    };
    interval = mkOption {
      type = types.ints.unsigned;
      default = 2;
      description = "Seconds between two attempts.";
    };
  };

  showPos = p: "${p.file}:${toString p.line}:${toString p.column}";

  # A node's command check, `node` the node's name: `command` is required, except where a
  # cross-host feature gave the check of that name one (its default). A missing command
  # is reported with where the check is defined and the node's feature checks, since the
  # usual cause is tuning (`commands.vpn-x.retries = 5`) a feature check the node does
  # not get: a mistyped name, or a node that is no member.
  commandCheck = node: types.submodule ({ name, options, ... }: {
    options = retryOptions // {
      command = mkOption {
        # An empty one would always pass (`sh -c ""` exits 0). The null default only
        # lets a missing one be reported as above instead of "used but not defined".
        type = types.nullOr types.nonEmptyStr // { inherit (types.nonEmptyStr) description; };
        default = null;
        defaultText = lib.literalMD "none: required, except for a feature's check (vpn-, dns-, ssh-)";
        apply = command:
          if command != null then command
          else
            let
              # What the user wrote of the check (not the options' defaults, priority 1500).
              written = builtins.filter (o: (o.highestPrio or 1500) < 1500) (lib.attrValues (removeAttrs options [ "command" "_module" ]));
              defs = lib.concatMap (o: o.definitionsWithLocations or [ ]) written;
              where = lib.concatStringsSep ", " (lib.unique (map (d: if d.pos or null != null then showPos d.pos else d.file) defs));
              features = builtins.attrNames (featureChecks node);
            in
            throw ("The option `nodes.${node}.healthChecks.commands.${name}.command' is used but not defined: "
              + "the check `${name}' (defined in ${if where == "" then "an unknown place" else where}) needs a command, "
              + "and node `${node}' gets no feature check of that name to tune "
              + "(its feature checks: ${if features == [ ] then "none" else lib.concatStringsSep ", " features}).");
        example = "systemctl is-active nginx";
        description = "A shell command line run on the host, as root; exit 0 is healthy. Required, except to tune a check a feature adds (`vpn-<net>`, `dns-<zone>`, `ssh-<user>`).";
      };
      feature = mkOption {
        type = types.nullOr (types.enum [ "vpn" "dns" "ssh" ]);
        default = null;
        internal = true;
        description = "The cross-host feature that added this check (null: the user).";
      };
    };
  });

  tcpCheck = types.submodule {
    options = retryOptions // {
      port = mkOption {
        type = types.ints.between 1 65535; # nothing listens on port 0
        example = 443;
        description = "The TCP port that must accept a connection.";
      };
      host = mkOption {
        type = types.nullOr (types.strMatching "${cross.hostRe}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*" // {
          description = "host name or address (an IPv6 address bare or in brackets)";
        });
        default = null;
        example = "web.example.org";
        description = "The host to connect to from the deploying machine; null: the node's address (`host` without user).";
      };
    };
  };

  httpCheck = types.submodule {
    options = retryOptions // {
      url = mkOption {
        # Fetched by the deployer's HTTP client, which needs the scheme.
        type = types.addCheck types.str httpUrlOk // { description = "http:// or https:// URL (a host, a port from 1 to 65535 if any)"; };
        example = "https://web.example.org/health";
        description = "The URL fetched (GET) from the deploying machine.";
      };
      status = mkOption {
        type = types.ints.between 100 599;
        default = 200;
        description = "The HTTP status the answer must have.";
      };
    };
  };

  # A shell word, always single-quoted (lib.escapeShellArg leaves some words bare in
  # newer nixpkgs; the plan must not depend on the lib's release).
  quote = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";
  scriptCommand = file: args:
    builtins.concatStringsSep " " (map quote ([ "sh" "-c" (builtins.readFile file) ] ++ args));

  # The checks the cross-host features contribute to a node.
  featureChecks = name:
    let
      vpn = lib.concatLists (lib.mapAttrsToList
        (net: r: lib.optional (r.members ? ${name} && (r.backend or "wireguard") == "wireguard") {
          name = "vpn-${net}";
          value = {
            feature = "vpn";
            command = scriptCommand ./health/wireguard.sh ([ "vpn-${net}" r.interface ]
              ++ map (p: "${p.node}=${p.publicKey}") r.members.${name}.peers);
            timeout = 5;
            retries = 8;
            interval = 2;
          };
        })
        (lib.getAttrs (config.vpn.problemFree or [ ]) (config.vpn.resolved or { })));
      dns = lib.concatLists (lib.mapAttrsToList
        (z: zone: lib.optional ((zone.primaryNode == name || builtins.elem name zone.secondaryNodes) && zone.serial != null) {
          name = "dns-${zone.name}";
          value = {
            feature = "dns";
            command = scriptCommand ./health/dns.sh [ "dns-${zone.name}" zone.name config.nodes.${name}.dns.address (toString zone.serial) ];
            timeout = 5;
            retries = 8;
            interval = 2;
          };
        })
        (config.dns.rendered or { }));
      grants = builtins.filter (g: g.target == name) (config.ssh.grants or [ ]);
      ssh = lib.mapAttrsToList
        (user: gs: {
          name = "ssh-${user}";
          value = {
            feature = "ssh";
            command = scriptCommand ./health/ssh.sh ([ "ssh-${user}" user ] ++ lib.unique (map (g: g.publicKey) gs));
          };
        })
        (builtins.groupBy (g: g.user) grants);
    in
    builtins.listToAttrs (vpn ++ dns ++ ssh);

  # The attribute of healthChecks a listed check comes from.
  kindAttr = c: if c.kind == "command" then "commands" else c.kind;

  # The longest a check can take, in seconds: every attempt timing out (deploy/health.go).
  checkSeconds = c: let r = if c.retries < 1 then 1 else c.retries; in r * c.timeout + (r - 1) * c.interval;

  healthModule = { name, config, options, ... }: {
    # A check's name is shown in tables, events and logs, one line each.
    config.assertions = lib.concatMap
      (kind: map
        (check: {
          assertion = false;
          message = "`${lib.showOption [ "nodes" name "healthChecks" kind check ]}'${cross.inFiles (cross.attrDefinitionFiles options.healthChecks.${kind} check)}: a check's name is shown in tables and logs line by line; give it one without control characters (newlines, tabs).";
        })
        (builtins.filter (n: !cross.noControlChars n) (builtins.attrNames config.healthChecks.${kind})))
      [ "commands" "tcp" "http" ];
    options.healthChecks = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Whether the node's health checks gate its confirmation. false: a host is
          confirmed as soon as a new SSH connection reaches it.
        '';
      };
      features = {
        vpn = mkOption {
          type = types.bool;
          default = true;
          description = "The default check of each VPN the node is a WireGuard member of: a peer handshakes.";
        };
        dns = mkOption {
          type = types.bool;
          default = true;
          description = "The default check of each zone the node serves: it answers the SOA with the zone's serial.";
        };
        ssh = mkOption {
          type = types.bool;
          default = true;
          description = "The default check of each user granted SSH access on the node: sshd reads the granted keys.";
        };
      };
      commands = mkOption {
        type = types.attrsOf (commandCheck name);
        default = { };
        example = lib.literalExpression ''{ nginx.command = "systemctl is-active nginx"; }'';
        description = "Commands run on the host after the activation, by name.";
      };
      tcp = mkOption {
        type = types.attrsOf tcpCheck;
        default = { };
        example = lib.literalExpression "{ https.port = 443; }";
        description = "TCP ports that must accept a connection from the deploying machine, by name.";
      };
      http = mkOption {
        type = types.attrsOf httpCheck;
        default = { };
        example = lib.literalExpression ''{ site.url = "https://web.example.org/health"; }'';
        description = "URLs that must answer the deploying machine with `status`, by name.";
      };
      where = mkOption {
        type = types.unspecified;
        readOnly = true;
        internal = true;
        description = "Where each check is defined (commands, tcp, http: name -> files), for messages.";
      };
      list = mkOption {
        type = types.unspecified;
        readOnly = true;
        internal = true;
        description = "The enabled checks, as the plan carries them (`plan.nodes.<n>.healthChecks`).";
      };
    };

    config.healthChecks = {
      commands = lib.mapAttrs (_: lib.mapAttrs (_: lib.mkDefault)) (featureChecks name);
      where = lib.genAttrs [ "commands" "tcp" "http" ]
        (kind: lib.mapAttrs (check: _: cross.attrDefinitionFiles options.healthChecks.${kind} check) config.healthChecks.${kind});
      list =
        let
          hc = config.healthChecks;
          on = c: c.enable && (c.feature or null == null || hc.features.${c.feature});
          common = c: { inherit (c) timeout retries interval; };
        in
        lib.optionals hc.enable (
          lib.mapAttrsToList (n: c: common c // { name = n; kind = "command"; inherit (c) command; feature = c.feature; where = hc.where.commands.${n}; })
            (lib.filterAttrs (_: on) hc.commands)
          ++ lib.mapAttrsToList (n: c: common c // { name = n; kind = "tcp"; inherit (c) port host; })
            (lib.filterAttrs (_: on) hc.tcp)
          ++ lib.mapAttrsToList (n: c: common c // { name = n; kind = "http"; inherit (c) url status; })
            (lib.filterAttrs (_: on) hc.http));
    };
  };
in
{
  options.nodes = mkOption {
    type = types.attrsOf (types.submodule healthModule);
  };

  # A check whose attempts together may take more than an hour (a typo such as
  # retries = 100000): a host that fails it is rolled back only when they are done.
  #
  # A tcp or http check of localhost from a node whose host is not this machine: it
  # would test the deploying machine (a check on the host is a command check).
  config.warnings = lib.concatLists (lib.mapAttrsToList
    (node: nc: map
      (c: "`nodes.${node}.healthChecks.${kindAttr c}.${c.name}'${cross.inFiles nc.healthChecks.where.${kindAttr c}.${c.name}} may take up to ${toString (checkSeconds c / 60)} minutes (${toString c.retries} attempts of up to ${toString c.timeout}s, ${toString c.interval}s apart): a host that fails it is rolled back only then, and the deploy waits as long.")
      (builtins.filter (c: checkSeconds c > 3600) nc.healthChecks.list)
    ++ map
      (c: "`nodes.${node}.healthChecks.${c.kind}.${c.name}'${cross.inFiles nc.healthChecks.where.${c.kind}.${c.name}} checks ${if c.kind == "tcp" then c.host else c.url} from the deploying machine (tcp and http checks run there), where it names the deployer itself, not ${node}'s host. Name the host (or leave a tcp check's `host' unset), or check on the host with a command check, e.g. healthChecks.commands.${c.name}.command = \"curl -fsS http://localhost/\".")
      (builtins.filter (c: isLoopback (cross.checkedHost c)) nc.healthChecks.list))
    (lib.filterAttrs (_: nc: nc.enable && !isLoopback (cross.hostAddress nc.host)) config.nodes))
  # A password in a check's URL (http://user:pw@host/): the URL is part of the plan, in
  # the world-readable Nix store, and goes over plain http in clear.
  ++ lib.concatLists (lib.mapAttrsToList
    (node: nc: map
      (c: "`nodes.${node}.healthChecks.http.${c.name}.url'${cross.inFiles nc.healthChecks.where.http.${c.name}} holds a password (user:password@): the URL is stored in the Nix store, which every user of the deploying machine can read${lib.optionalString (lib.hasPrefix "http:" c.url) ", and is sent in clear over http"}. Check a page that needs no login, or check on the host with a command check that reads the password from one of the node's `secrets'.")
      (builtins.filter (c: c.kind == "http" && builtins.match "https?://[^/?#@]*:[^/?#@]*@.*" c.url != null) nc.healthChecks.list))
    (lib.filterAttrs (_: nc: nc.enable) config.nodes));
}
