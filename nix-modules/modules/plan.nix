# The `plan`: everything the Go side needs from one evaluation, as a JSON-able value
# (docs/internals.md, "plan (version 1)"). It names each node's connection settings and
# its evaluated host configuration, never a system: derivations inside a configuration
# (an etc file's `source`) appear as their store paths, instantiated but not built, so
# reading the plan builds nothing.
#
# The cross-host modules contribute their network-level declarations through the
# internal option `planExtra`: a module writes `planExtra.network.<its key> = ...` (ssh,
# vpn, dns), which appears as `plan.network.<its key>`.
{ config, lib, nixmesh, ... }:
let
  inherit (lib) mkOption types;

  # "[user@]host" -> { user; hostname; }; user is null without "user@", and an IPv6
  # address loses its brackets (the Go side adds them back when it joins host and port).
  splitHost = host:
    let
      parts = builtins.match "(([^@]*)@)?(.*)" host;
      target = builtins.elemAt parts 2;
      bracketed = builtins.match "\\[(.*)]" target;
    in
    {
      user = builtins.elemAt parts 1;
      hostname = if bracketed == null then target else builtins.head bracketed;
    };

  # The configuration as the plan shows it. Standalone: the whole evaluated config except
  # `_module`, `assertions`, `warnings` and `system.build`, exactly the value the
  # standalone toplevel writes to its config.json (standalone/make-toplevel.nix:
  # functions, e.g. nixpkgs overlays, have no JSON form and are shown as "<function>";
  # keep the two in step). NixOS: only the
  # option subtrees of NIXOS-SUBSET.md, see `nixosSubset`.
  jsonable = v:
    if builtins.isFunction v then "<function>"
    else if builtins.isAttrs v && !(v ? outPath) then builtins.mapAttrs (_: jsonable) v
    else if builtins.isList v then map jsonable v
    else v;

  standaloneConfiguration = cfg:
    jsonable (removeAttrs cfg [ "_module" "assertions" "warnings" "meta" ] // {
      system = removeAttrs (cfg.system or { }) [ "build" ];
    });

  # The NIXOS-SUBSET projection of a NixOS host's configuration (./nixos-subset.nix;
  # NixOS systems carry the same projection as nixmesh-config.json, for `nixmesh diff`).
  nixosProjection = import ./nixos-subset.nix { inherit lib; };

  configurationOf = node:
    if node.kind == "nixos" then nixosProjection node.config
    else standaloneConfiguration node.config;

  # A node's connection settings: what reaching the host needs, read without evaluating
  # it (`connectionPlan`, for exec, ssh, verify, secrets and graph).
  connectionOf = name: node:
    let address = splitHost node.host; in
    {
      inherit name;
      inherit (node) enable host port sshOptions privilegeEscalationCommand tags
        successTimeout switchTimeout keepGenerations ignoreFailingSystemdUnits substituteOnTarget rebootIfUnreachable buildOnTarget;
      inherit (node) kind;
      inherit (address) user hostname;
    };

  planNode = name: node: config.planConnections.${name} // {
    configuration = configurationOf node;
    # The enabled health checks (modules/health.nix): run before the confirmation.
    healthChecks = node.healthChecks.list;
    # The options this node sets that its kind of host does not apply (standalone:
    # everything outside the schema); the CLI warns about them, `--strict` refuses.
    notApplied = if node.kind == "standalone" then node.config.system.build.notApplied else [ ];
    # Where the deployment defines the node's sshOptions, configuration, host name and
    # each option not applied (FILE:LINE), for the CLI's warnings about them.
    inherit (node) where;
    # The platform a NixOS system runs on (its packages' host platform), which the
    # deployer holds against the host's kernel before copying; null where nixpkgs gives
    # none, and for standalone systems (scripts and files, for any platform).
    inherit (node) platform;
  };
in
{
  options = {
    plan = mkOption {
      type = types.unspecified;
      readOnly = true;
      description = ''
        The evaluated deployment as one JSON-able value (version 1; see
        docs/internals.md): connection settings and host configuration per node, and the
        network-level declarations of the cross-host modules. Read it with
        `nix-instantiate --eval --strict --json -A plan deploy.nix`.
      '';
    };

    planConnections = mkOption {
      type = types.unspecified;
      readOnly = true;
      internal = true;
      description = ''
        Each node's plan entry without what needs its host evaluated (configuration,
        health checks, notApplied): the connection settings.
      '';
    };

    planExtra = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      internal = true;
      example = lib.literalExpression ''{ network.vpn = { backbone = { subnet = "10.77.0.0/24"; }; }; }'';
      description = ''
        What framework modules add to `plan`. Each cross-host module writes its
        network-level declarations, JSON-able, to `planExtra.network.<module>`; other
        keys are added to the plan's top level (never overriding `version`, `nodes` or
        `network`).
      '';
    };
  };

  config.planConnections = builtins.mapAttrs connectionOf config.nodes;

  config.plan = config.planExtra // {
    version = 1;
    nodes = builtins.mapAttrs planNode config.nodes;
    network = config.planExtra.network or { };
  };
}
