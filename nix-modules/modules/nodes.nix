# The nodes of a deployment: `defaults`, `nodes.<name>.*`, the per-node host evaluation,
# and the network-level `assertions` and `warnings`.
#
# Every node is a submodule built from `nodeModule` below plus `config.defaults`, so
# `defaults` is itself a node module: it sees the node's `name` and may set any node
# option (`defaults = { name, ... }: { configuration.networking.hostName = name; }`).
#
# `nodes.<name>.configuration` is a deferredModule: everything written there (by the user,
# by `defaults`, by the cross-host modules) becomes one module of the host's own
# evaluation. That evaluation is done by `nixmesh.evalHost`, which default.nix provides as
# a module argument: the standalone host schema without nixpkgs, NixOS's eval-config.nix
# with it. Host modules get `name` (the node's name) and `nodes` (this evaluation's
# `config.nodes`) as module arguments. See docs/internals.md, "Host configuration inside
# the framework".
{ config, options, lib, nixmesh, ... }:
let
  cross = import ./cross/lib.nix { inherit lib; };
  inherit (lib) mkOption types;

  networkConfig = config;
  networkOptions = options;

  showPos = p: "${p.file}:${toString p.line}:${toString p.column}";

  # Where an option's definitions are: FILE:LINE:COL where the module system knows the
  # position (the bundled lib does), else the file.
  showDefinitions = option: lib.concatStringsSep ", " (map
    (d: if d.pos or null != null then showPos d.pos else d.file)
    option.definitionsWithLocations);

  # Where node `name` is defined: the definitions of `nodes` that mention it.
  nodeLocations = name: lib.concatStringsSep ", " (map
    (d:
      let pos = if builtins.isAttrs d.value then builtins.unsafeGetAttrPos name d.value else null; in
      if pos != null then showPos pos else d.file)
    (builtins.filter
      (d: !(builtins.isAttrs d.value) || d.value ? ${name} || d.value ? _type)
      networkOptions.nodes.definitionsWithLocations));

  # `[user@]host`, host as cross.hostRe takes it.
  userRe = "[A-Za-z_][A-Za-z0-9_.-]*";
  hostRe = "(${userRe}@)?(${cross.hostRe})";

  hostType = types.strMatching hostRe // {
    description = "SSH destination `[user@]host' (host: a DNS name, an IPv4 address, or an IPv6 address in brackets)";
  };

  tagType = types.strMatching "[A-Za-z0-9_][A-Za-z0-9_.-]*" // {
    description = "tag (letters, digits, `_', `-' and `.', no spaces)";
  };

  # Nixus's node options with no meaning here, and what to use instead (given the node).
  nixusOnly = {
    deployScriptPhases = n: "is Nixus's hook into its bash deploy script; nixmesh deploys with its engine, whose phases are fixed. For checks after the activation use `nodes.${n}.healthChecks', for files on the host `nodes.${n}.secrets', for commands `nixmesh exec'.";
    preparationPhases = n: "is Nixus's hook into its bash deploy script; nixmesh has none. Secrets are `nodes.${n}.secrets' (fetched before anything changes on the host); other preparation belongs in the configuration (system.activationScripts).";
    preparationScript = n: "is the script Nixus builds from preparationPhases; nixmesh has none. Secrets are `nodes.${n}.secrets'; checks `nodes.${n}.healthChecks'.";
    postDeployScript = n: "is Nixus's hook after a node's deploy; nixmesh reports each node's result in its table (`nixmesh deploy --json' for scripts) and runs `nodes.${n}.healthChecks' before confirming. Run follow-up commands with `nixmesh exec'.";
    closurePaths = n: "lists what Nixus copies; nixmesh copies the node's system (with the switcher in it) and nothing else. Put further paths into the configuration (e.g. environment.etc, or packages of the system).";
    deployFrom = n: "gives Nixus per-deploy-host addresses; nixmesh has one `nodes.${n}.host' (and `port', `sshOptions'). Choose it per deploying machine in Nix, e.g. host = if builtins.getEnv \"NIXMESH_FROM\" == \"laptop\" then ... else ...; (a flake's pure evaluation sees no environment), or with one deployment file per deploying machine.";
  };

  # The type of an option nixmesh computes for the user to read (read-only): a definition
  # of the user's is refused with what they meant instead. (`readOnly` would report it by
  # printing every definition: the whole evaluated host configuration.)
  computed = what: instead: types.unspecified // {
    name = "computed";
    # default.nix lists an option of this description as read-only.
    description = "value computed by nixmesh (read-only)";
    merge = loc: defs:
      let
        own = toString ./nodes.nix;
        users = builtins.filter (d: d.file != own) defs;
        at = d: if d.pos or null != null then "${d.pos.file}:${toString d.pos.line}:${toString d.pos.column}" else d.file;
      in
      if users == [ ] then (builtins.head defs).value
      else throw "The option `${lib.showOption loc}' is ${what}, which nixmesh computes (read-only), but it is set in ${lib.concatMapStringsSep ", " (d: "`${at d}'") users}: ${instead}.";
  };

  nodeModule = { name, config, options, ... }:
    let
      hostEvaluation = nixmesh.evalHost {
        modules = [ config.configuration ];
        specialArgs = {
          inherit name;
          nodes = networkConfig.nodes;
        };
        nixpkgs =
          let p = config.nixpkgs; in
          if p != null && !nixmesh.holdsNixOS p then
            throw "The option `nodes.${name}.nixpkgs'${cross.inFiles (cross.definitionFiles options.nixpkgs)} is ${nixmesh.describeNixpkgs p}, which holds no NixOS (no nixos/lib/eval-config.nix there): give a nixpkgs checkout's path or a flake input of nixpkgs."
          else p;
      };

      # Where an option the host does not apply (an attribute path of the configuration)
      # is written: the line of its last name in each definition of `configuration' that
      # is an attribute set holding it (directly or under `config'), else the files that
      # define the configuration. (A module written as a function is not looked into.)
      notAppliedAt = path:
        let
          # Up to the first list entry ("[0]"), which no attribute path reaches.
          attrs = lib.lists.take (cross.findFirstIndex (k: builtins.match "\\[[0-9]+]" k != null) (builtins.length path) path) path;
          users = builtins.filter (d: !(cross.ownFile (cross.plainFile d.file))) (options.configuration.definitionsWithLocations or [ ]);
          # A module's `config' holds its options' values too.
          configs = map (d: d // { value = d.value.config; })
            (builtins.filter (d: builtins.isAttrs d.value && builtins.isAttrs (d.value.config or null)) users);
          found = if attrs == [ ] then [ ] else cross.pathInDefinitions (users ++ configs) attrs;
        in
        if found == [ ] then configurationFiles else found;
      configurationFiles = cross.firstPerFile (cross.userDefinitionFiles options.configuration);
    in
    {
      options = {
        nixpkgs = mkOption {
          type = types.nullOr (types.either types.path types.attrs);
          default = null;
          example = lib.literalExpression "inputs.nixpkgs-24-05";
          description = ''
            The nixpkgs this node's host is evaluated with (a checkout's path or a flake
            input): hosts of one deployment on different NixOS releases. null: the
            deployment's (the entry point's `nixpkgs`; none: a standalone host). The
            network level is always evaluated with the deployment's one lib.
          '';
        };

        kind = mkOption {
          type = types.enum [ "standalone" "nixos" ];
          readOnly = true;
          internal = true;
          description = "standalone or nixos, from `nixpkgs` and the deployment's.";
        };

        enable = mkOption {
          type = types.bool;
          default = true;
          example = false;
          description = ''
            Whether this node is deployed. A disabled node is still evaluated (and listed
            in the plan), but the deploy scripts and `nixmesh deploy` leave it alone.
          '';
        };

        host = mkOption {
          # Required. The null default only lets a missing host be reported with where
          # the node is defined, instead of the generic "used but not defined".
          type = types.nullOr hostType // { inherit (hostType) description; descriptionClass = "noun"; };
          default = null;
          defaultText = lib.literalMD "none: every node must set it";
          apply = host:
            if host != null then host
            else throw "The option `nodes.${name}.host' is used but not defined: node `${name}' (defined in ${nodeLocations name}) needs one, e.g. host = \"root@198.18.0.12\";";
          example = "root@198.18.0.11";
          description = ''
            Where to reach this node over SSH: `[user@]host`, where host is a DNS name,
            an IPv4 address or a bracketed IPv6 address (`root@[2001:db8::1]`). Without
            `user@`, the SSH client's default user (or `~/.ssh/config`) applies. The port
            is set with `port`, not here.
          '';
        };

        port = mkOption {
          type = types.ints.between 1 65535; # port 0 is no port anyone listens on
          default = 22;
          example = 2222;
          description = "The TCP port of the node's SSH server.";
        };

        sshOptions = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "-o" "ProxyJump=bastion.example.org" ];
          description = ''
            Extra arguments for every `ssh` invocation towards this node, in `ssh`'s own
            syntax. nixmesh's SSH client (deploy, exec, ssh, keys, secrets --check) reads
            `-l`, `-i`, `-J` and `-o` HostName, User, IdentityFile, ProxyJump,
            UserKnownHostsFile, ConnectTimeout, ConnectionAttempts, ServerAliveInterval and
            ServerAliveCountMax, ahead of the same keys in ssh_config; any other option is
            ignored, which `check`, `eval` and `deploy` warn about before connecting
            (`--strict` refuses it). The port belongs in `port`.
          '';
        };

        privilegeEscalationCommand = mkOption {
          # One word per element: [ "sudo -n" ] would look for a program called "sudo -n".
          type = types.addCheck (types.listOf (types.strMatching ".+" // { description = "non-empty string"; }))
            (l: l == [ ] || builtins.match "[^ \t\n]+" (builtins.head l) != null) // {
              description = "command words, one per element (the program first, without spaces)";
            };
          default = [ "sudo" "-n" ];
          example = [ "doas" ];
          description = ''
            The command prefix that gains root on the node when the SSH user is not root.
            It must not prompt for a password (hence `sudo -n`). Unused when the user is
            root.
          '';
        };

        tags = mkOption {
          type = types.listOf tagType;
          default = [ ];
          example = [ "web" "eu-west" ];
          description = ''
            Labels for selecting nodes, e.g. `nixmesh deploy --on @web`. Letters, digits,
            `_`, `-` and `.` only.
          '';
        };

        successTimeout = mkOption {
          type = types.ints.positive;
          default = 20;
          example = 60;
          description = ''
            Seconds the node waits, after activating a new system, for the deployer to
            confirm over a new SSH connection. Without a confirmation in time it rolls
            back to the previous system.
          '';
        };

        switchTimeout = mkOption {
          type = types.ints.positive;
          default = if config.kind == "nixos" then 3600 else 60;
          defaultText = lib.literalExpression "60 on standalone hosts, 3600 on NixOS";
          example = 300;
          description = ''
            Seconds the activation of a new system may take on the node before the
            switch counts as failed and is rolled back. NixOS activations restart units
            and can take minutes, hence the generous default there; the confirmation
            window (`successTimeout`) only starts when the activation has ended.
          '';
        };

        rebootIfUnreachable = mkOption {
          type = types.bool;
          default = config.kind == "nixos";
          defaultText = lib.literalExpression "true on NixOS, false on standalone hosts";
          description = ''
            The last resort after a rollback: when no new SSH connection reaches the host
            within `successTimeout` seconds of rolling back (the deployer opens one at once),
            its old system cannot be reached either, and the host reboots into its boot
            default (the last confirmed system). Standalone hosts have no boot default of
            their own to trust, so there it is off: the deployer reports them as
            "unreachable after rollback".
          '';
        };

        buildOnTarget = mkOption {
          type = types.bool;
          default = false;
          description = ''
            Build the node's system on the node itself: `nixmesh deploy` copies the
            derivations (and their sources) instead of the built system, and the host
            realises them with its own Nix (and its substituters). For a host with a
            faster link to its caches, more build power, or another architecture than
            the deploying machine. (`./result` was built with its systems: it copies
            them as usual.)
          '';
        };

      }
      # Nixus's node options that mean nothing here (hooks into its generated bash script,
      # its per-deploy-host addresses): declared only to say what to use instead.
      // builtins.mapAttrs
        (_: _: mkOption {
          type = types.unspecified;
          internal = true;
          description = "Nixus only; defining it is an error that says what to use instead.";
        })
        nixusOnly
      // {

        hasFastConnection = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Nixus's name for the transfer choice: false means the node is better off
            fetching paths from its own substituters, i.e. the default of
            `substituteOnTarget` becomes true.
          '';
        };

        substituteOnTarget = mkOption {
          type = types.bool;
          default = !config.hasFastConnection;
          defaultText = lib.literalExpression "!hasFastConnection";
          description = ''
            Let the node fetch the paths it lacks from its own substituters (its
            nix.conf `substituters`, e.g. cache.nixos.org or a fleet cache) before the
            deployer streams the rest: for a host with a faster link to a cache than the
            deploying machine has to the host. Paths no substituter has are copied as
            usual. (Nixus calls the opposite `hasFastConnection`.)
          '';
        };

        ignoreFailingSystemdUnits = mkOption {
          type = types.bool;
          default = false;
          description = ''
            Accept an activation whose `switch-to-configuration` exits with 4 (the new
            system is active, but some units failed to start): the switch goes on to its
            confirmation, and the deployer's table warns with the failed units. false:
            exit 4 rolls back. (Exit 100, reboot needed, is always accepted, with a
            warning.)
          '';
        };

        keepGenerations = mkOption {
          type = types.ints.positive;
          default = 10;
          example = 3;
          description = ''
            How many system generations and switch logs the node keeps; older ones are
            removed when a switch ends, so that their closures can be garbage-collected.
            The running system and the boot default are always kept.
          '';
        };

        configuration = mkOption {
          type = types.deferredModule;
          default = { };
          example = lib.literalExpression ''
            { pkgs, ... }: {
              networking.hostName = "web";
              users.users.alice.isNormalUser = true;
            }
          '';
          description = ''
            The node's system, as a module of the host's own evaluation: the standalone
            host schema without nixpkgs, NixOS with it. Several definitions (from the
            user, `defaults` and the cross-host modules) are merged as modules. Host
            modules receive `name` (this node's name) and `nodes` (all nodes) as module
            arguments.
          '';
        };

        assertions = mkOption {
          type = types.listOf assertionType;
          default = [ ];
          example = lib.literalExpression ''
            [ { assertion = config.port != 23; message = "`nodes.web.port': 23 is telnet's"; } ]
          '';
          description = ''
            Conditions about this node, checked with the network's `assertions`; failing
            messages are reported with the node's name in front.
          '';
        };

        config = mkOption {
          type = computed "the node's evaluated host configuration" "set host options under `nodes.${name}.configuration' (e.g. nodes.${name}.configuration.networking.firewall.allowedTCPPorts = [ 80 ];)";
          description = ''
            The node's evaluated host configuration (read-only), e.g.
            `config.nodes.gateway.config.networking.hostName`.
          '';
        };

        hostFiles = mkOption {
          type = types.listOf types.str;
          readOnly = true;
          internal = true;
          description = "Where `host` and `port` are set (`FILE:LINE`), for messages.";
        };

        where = mkOption {
          type = types.attrsOf (types.listOf types.str);
          readOnly = true;
          internal = true;
          description = "Where `sshOptions`, `configuration` and the host's `networking.hostName` are defined (`FILE:LINE`), for the CLI's messages about them (the plan's `where`).";
        };

        platform = mkOption {
          type = types.nullOr types.str;
          readOnly = true;
          internal = true;
          description = ''
            The Nix platform a NixOS node's system runs on (its packages' host platform,
            e.g. "aarch64-linux"), which the deployer holds against the host's kernel;
            null for standalone nodes (their systems hold scripts and files only) and
            where nixpkgs gives none.
          '';
        };

        hostOptions = mkOption {
          type = types.unspecified;
          readOnly = true;
          internal = true;
          description = ''
            The options of the node's host evaluation (read-only), for messages that name
            where a host module overrode what a cross-host feature set.
          '';
        };

        system = mkOption {
          type = computed "the node's system closure, built from its configuration" "the hosts' platform is the `system` argument where the deployment imports nix-modules (import ./nix-modules { system = \"aarch64-linux\"; } ...), or on NixOS `nodes.${name}.configuration.nixpkgs.hostPlatform`";
          description = ''
            The node's system closure: its `system.build.toplevel` (read-only).
          '';
        };
      };

      config = {
        kind = nixmesh.kindOf config.nixpkgs;
        config = hostEvaluation.config;
        hostOptions = hostEvaluation.options;
        platform =
          if config.kind != "nixos" then null
          else
            let p = builtins.tryEval (hostEvaluation._module.args.pkgs.stdenv.hostPlatform.system or null); in
            if p.success && builtins.isString p.value then p.value else null;
        hostFiles = cross.knownFiles (cross.definitionFiles options.host ++ cross.definitionFiles options.port);
        where = {
          sshOptions = cross.knownFiles (cross.definitionFiles options.sshOptions);
          configuration = configurationFiles;
          # Where a deployment (not NixOS's or the schema's default) names the host.
          hostName = cross.userDefinitionFiles (config.hostOptions.networking.hostName or { });
        }
        # Where the deployment defines each of its activation snippets (the line of its
        # name), for the warning about one that is no shell script.
        // (let
          nixos = if config.kind == "nixos" then nixmesh.nixpkgsOf config.nixpkgs + "/" else null;
          defs = cross.deploymentDefinitions nixos (config.hostOptions.system.activationScripts or { });
          named = lib.unique (lib.concatMap (d: if builtins.isAttrs d.value then builtins.attrNames d.value else [ ]) defs);
        in
        lib.filterAttrs (_: files: files != [ ]) (builtins.listToAttrs (map
          (n: { name = "configuration.system.activationScripts.${n}"; value = cross.pathInDefinitions defs [ n ]; })
          named)))
        // lib.optionalAttrs (config.kind == "standalone") (builtins.listToAttrs (map
          (e: { name = "configuration.${e.shown}"; value = notAppliedAt e.path; })
          config.config.system.build.notAppliedPaths));
        system = config.config.system.build.toplevel;

        assertions =
          let
            parsed = builtins.match "(([^@]*)@)?(.*)" config.host;
            user = if parsed == null then null else builtins.elemAt parsed 1;
          in
          lib.concatLists (lib.mapAttrsToList
            (option: why: lib.optional options.${option}.isDefined {
              assertion = false;
              message = "`nodes.${name}.${option}' (in ${showDefinitions options.${option}}) ${why name}";
            })
            nixusOnly)
          ++ lib.optional (builtins.match "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?" name == null) {
            assertion = false;
            message = "${cross.showPath [ "nodes" name ]} (in ${showDefinitions options.host}): `${name}' cannot be a host name (1 to 63 letters, digits and `-', not starting or ending with `-'), and a node's name becomes its host name, its DNS name and its name on the VPNs. Rename the node.";
          }
          # sshOptions that set what `host' and `port' say: ssh would take whichever
          # comes first, and the deployer's known-hosts check the other.
          ++ (let
            opts = config.sshOptions;
            at = i: builtins.elemAt opts i;
            portLike = o: builtins.match "(-o)? *[Pp][Oo][Rr][Tt]( *= *| +).*" o != null;
            # (Forced first, so that a list of the wrong type is reported as such.)
            setsPort = builtins.deepSeq opts (lib.any
              (i: at i == "-p" || builtins.match "-p[0-9]+" (at i) != null
                || portLike (at i) && lib.hasPrefix "-o" (at i)
                || at i == "-o" && i + 1 < builtins.length opts && portLike (at (i + 1)))
              (lib.range 0 (builtins.length opts - 1)));
          in
          lib.optional setsPort {
            assertion = false;
            message = "`nodes.${name}.sshOptions' (in ${showDefinitions options.sshOptions}) sets the SSH port; set `nodes.${name}.port' instead (the deployer uses it for the connection and for the host-key check).";
          })
          # The connection settings the deployer reads itself (ConnectTimeout and the
          # like) in ssh's own syntax: a time (10, 10s, 1m30s; none for the timeout) or
          # a whole number, as ssh would take them.
          ++ (let
            given = cross.sshOptionValues config.sshOptions;
            time = "([0-9]+[sSmMhHdDwW]?)+";
            syntax = {
              connecttimeout = { re = "${time}|[Nn][Oo][Nn][Ee]"; what = "a time (10, 10s, 1m30s) or none"; };
              serveraliveinterval = { re = time; what = "a time (10, 10s, 1m30s)"; };
              connectionattempts = { re = "[0-9]+"; what = "a whole number"; };
              serveralivecountmax = { re = "[0-9]+"; what = "a whole number"; };
            };
            split = o: builtins.match " *([A-Za-z]+)( *= *| +)(.*)" o;
            rule = o: syntax.${lib.toLower (builtins.head (split o))} or null;
            wrong = o: split o != null && rule o != null
              && builtins.match (rule o).re (builtins.elemAt (split o) 2) == null;
          in
          map (o: {
            assertion = false;
            message = "`nodes.${name}.sshOptions' (in ${showDefinitions options.sshOptions}) sets ${builtins.head (split o)} to `${builtins.elemAt (split o) 2}': ssh and the deployer take ${(rule o).what} there.";
          }) (builtins.filter wrong given))
          # A flag that takes an argument, last, without it (ssh refuses the command line;
          # the deployer would skip the flag).
          ++ (let
            opts = config.sshOptions;
            last = lib.last opts;
            takesArgument = [ "-B" "-b" "-c" "-D" "-E" "-e" "-F" "-I" "-i" "-J" "-L" "-l" "-m" "-O" "-o" "-P" "-p" "-Q" "-R" "-S" "-W" "-w" ];
          in
          lib.optional (opts != [ ] && builtins.elem last takesArgument) {
            assertion = false;
            message = "`nodes.${name}.sshOptions' (in ${showDefinitions options.sshOptions}) ends with `${last}', which takes an argument (ssh refuses it alone): give its value as the next element, e.g. [ \"${last}\" \"${if last == "-o" then "ConnectTimeout=10" else "VALUE"}\" ].";
          })
          ++ lib.optional (user != null && user != "root" && config.privilegeEscalationCommand == [ ]) {
            assertion = false;
            message = "`nodes.${name}.privilegeEscalationCommand' is empty (in ${showDefinitions options.privilegeEscalationCommand}), but `nodes.${name}.host' logs in as `${user}', not root (in ${showDefinitions options.host}): activation needs root. Set it, e.g. to [ \"sudo\" \"-n\" ], or log in as root.";
          };
      };
    };

  assertionType = types.submodule {
    options = {
      assertion = mkOption {
        type = types.bool;
        description = "What must hold; the deployment fails to evaluate when it is false.";
      };
      message = mkOption {
        type = types.str;
        description = "Shown when `assertion` is false; say what to change, and where.";
      };
    };
  };
in
{
  options = {
    defaults = mkOption {
      type = types.deferredModule;
      default = { };
      example = lib.literalExpression ''
        { name, ... }: {
          configuration.networking.hostName = name;
          successTimeout = 30;
        }
      '';
      description = ''
        A node module applied to every node in `nodes`: it may set any node option, and
        receives the node's `name` as a module argument.
      '';
    };

    nodes = mkOption {
      type = types.attrsOf (types.submodule {
        imports = [ nodeModule config.defaults ];
      });
      default = { };
      example = lib.literalExpression ''
        {
          gateway = { host = "root@198.18.0.11"; configuration = ./gateway.nix; };
          web = { host = "deploy@web.example.org"; tags = [ "web" ]; };
        }
      '';
      description = "The hosts of this deployment, by name.";
    };

    assertions = mkOption {
      type = types.listOf assertionType;
      default = [ ];
      example = lib.literalExpression ''
        [ { assertion = config.nodes ? gateway; message = "vpn: node `gateway' is not defined"; } ]
      '';
      description = ''
        Network-level conditions checked whenever the plan, a deploy script or a system
        is evaluated; all failing messages are reported together, with those of each
        node's `assertions` and of each host's own evaluation (where its schema has them).
      '';
    };

    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "node `old' is disabled and will be removed" ];
      description = ''
        Network-level messages printed (once) whenever the plan, a deploy script or a
        system is evaluated.
      '';
    };

    checkScope = mkOption {
      type = types.nullOr (types.listOf types.str);
      default = null;
      internal = true;
      description = ''
        The nodes whose host configurations this evaluation's checks read; null: all.
        The engine evaluates a large deployment in worker processes, each for a share of
        the nodes (`forNodes` in nix-modules/default.nix): each worker checks its own
        nodes and their hosts, one of them the network level too, so that together the
        workers check everything once and none holds every host in memory.
      '';
    };

    hostAssertions = mkOption {
      type = types.listOf assertionType;
      default = [ ];
      internal = true;
      description = ''
        The cross-host features' checks of the hosts' final configurations (a grant's
        key still in the target's authorized keys, a VPN member's interface as the
        network asks for it, a granted user declared), for the nodes in `checkScope`
        only. Reported with the `assertions`; kept apart because every worker checks
        these for its own nodes, while the network level's `assertions` are checked
        once per run, by one worker.
      '';
    };

    # Nixus's name of the deploying machine (choosing nodes.<n>.deployFrom.<host>):
    # declared only to say what to use instead.
    deployHost = mkOption {
      type = types.unspecified;
      internal = true;
      description = "Nixus only; defining it is an error that says what to use instead.";
    };
  };

  config.assertions = lib.optional options.deployHost.isDefined {
    assertion = false;
    message = "The option `deployHost' (in ${showDefinitions options.deployHost}) picks Nixus's per-deploy-host addresses (`nodes.<node>.deployFrom'); nixmesh has one `nodes.<node>.host' per node. Choose it per deploying machine in Nix (e.g. from builtins.getEnv, or one deployment file per deploying machine).";
  }
  # Two enabled nodes on one machine (same address and port, whatever the user): each
  # deploy would replace the other's system there.
  ++ (
    let
      enabled = builtins.filter (n: config.nodes.${n}.enable) (builtins.attrNames config.nodes);
      machineOf = n:
        let
          host = config.nodes.${n}.host;
          target = builtins.elemAt (builtins.match "(([^@]*)@)?(.*)" host) 2;
        in
        "${lib.toLower target}:${toString config.nodes.${n}.port}";
      # Nodes that reach one address differently (through other jump hosts, say:
      # sshOptions) may well be different machines.
      byMachine = builtins.groupBy (n: machineOf n + builtins.toJSON config.nodes.${n}.sshOptions) enabled;
    in
    lib.mapAttrsToList
      (machine: names: {
        assertion = false;
        message = "${lib.concatMapStringsSep " and " (n: "`nodes.${n}.host' (${let files = config.nodes.${n}.hostFiles; in if files == [ ] then "node defined in ${nodeLocations n}" else "set in ${lib.concatStringsSep ", " files}"})") names} reach the same machine (${machineOf (builtins.head names)}, with the same sshOptions): each deploy would replace the other's system there. Give each node its own host, or disable one (`enable = false').";
      })
      (lib.filterAttrs (_: names: builtins.length names > 1) byMachine)
  );
}
