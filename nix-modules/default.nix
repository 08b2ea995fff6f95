# nixmesh's entry point:
#
#   import ./nix-modules { } ({ lib, ... }: { nodes.web = { ... }; })
#   import ./nix-modules { nixpkgs = <nixpkgs>; } ./network.nix
#
# The first argument picks the world the nodes live in. Without `nixpkgs`, the network is
# evaluated with the bundled module system (./lib) and every node is a *standalone* host
# (./standalone: NixOS option names, builds with Nix builtins only). With `nixpkgs`, the
# network is evaluated with nixpkgs' own `lib` and every node is a NixOS system
# (`nixos/lib/eval-config.nix`). `system` is the platform of the hosts (NixOS: passed to
# eval-config; set it to null to choose `nixpkgs.hostPlatform` in the configuration).
#
# The second argument is the user's module (a path, a function or an attrset). The result
# is the deploy script for every enabled node (a derivation: `nix-build deploy.nix &&
# ./result`) with the attributes of docs/internals.md, "What the user's deploy.nix
# returns": config, options, plan, nodes.<name>, systems.<name>, optionsList, lib.
#
# The network-level checks (`assertions`, `warnings`, and each host's own) run whenever
# `plan`, a deploy script or a system is evaluated; `config`, `options` and `optionsList`
# stay readable even when a check fails.
#
# `lib` picks the lib the network level is evaluated with: by default nixpkgs' own when
# `nixpkgs` is given, else the bundled one. `import ./nix-modules { lib = import
# <nixpkgs/lib>; }` keeps standalone hosts but runs every network-level module on nixpkgs'
# real lib (the tests do this with each supported nixpkgs release).
#
# `nixmesh` is the engine the generated deploy script runs (`./result`): the nixmesh
# binary, as a path (`nixmesh = ./bin/nixmesh;` copies it into the store, pinned in the
# script's closure) or a package. Not given (null): with `nixpkgs`, the engine is built
# from this repository by Nix (./package.nix, with that nixpkgs' Go, for the deploying
# machine) and pinned the same way; without, nixmesh is looked up on PATH when the
# script runs. `nixmesh = false` always looks it up on PATH.
{ nixpkgs ? null, lib ? null, nixmesh ? null, system ? builtins.currentSystem, ... }@args:
let
  # An argument that is none of these (a typo: `sytem`, `nixpkg`) would be ignored without
  # a word: refused instead, where it is written.
  known = [ "nixpkgs" "lib" "nixmesh" "system" ];
  unknown = builtins.attrNames (removeAttrs args known);
  at = n: let p = builtins.unsafeGetAttrPos n args; in
    if p == null then "" else " (${p.file}:${toString p.line}:${toString p.column})";
  # Whether a nixpkgs (a path, or an attribute set with outPath: a flake input) holds
  # NixOS; "what it is", for messages. Also a node's `nixpkgs` (nodes.nix).
  holdsNixOS = p:
    let dir = if builtins.isAttrs p then p.outPath or null else p; in
    dir != null && builtins.pathExists (toString dir + "/nixos/lib/eval-config.nix");
  describeNixpkgs = p:
    if builtins.isAttrs p then (if p ? outPath then toString p.outPath else "an attribute set without outPath") else toString p;
in
if unknown != [ ] then
  throw "nix-modules takes the arguments ${builtins.concatStringsSep ", " known} (import .../nix-modules { ... } MODULE); the argument${if builtins.length unknown > 1 then "s" else ""} ${builtins.concatStringsSep ", " (map (n: "${n}${at n}") unknown)} ${if builtins.length unknown > 1 then "are" else "is"} none of them. Remove it, or fix its name."
else if nixpkgs != null && !holdsNixOS nixpkgs then
  throw "nix-modules' argument nixpkgs${at "nixpkgs"} is ${describeNixpkgs nixpkgs}, which holds no NixOS (no nixos/lib/eval-config.nix there): give a nixpkgs checkout's path (<nixpkgs>) or a flake input of nixpkgs."
else
# MODULE: the deployment's module (a path, a function or an attribute set), or a list of
# them.
userModule:
let
  bundledLib = import ./lib;

  nixpkgsPath = if builtins.isAttrs nixpkgs then nixpkgs.outPath else nixpkgs;

  # Path concatenation (not "${...}") so that a nixpkgs checkout is not copied to the store.
  lib =
    if (args.lib or null) != null then args.lib
    else if nixpkgs == null then bundledLib
    else import (nixpkgsPath + "/lib");

  # The nixpkgs a node's host is evaluated with: its own (`nodes.<n>.nixpkgs`, hosts on
  # different NixOS releases), else the deployment's; null: a standalone host.
  pathOf = p: if builtins.isAttrs p then p.outPath or p else p;
  hostNixpkgs = nodeNixpkgs: if nodeNixpkgs != null then pathOf nodeNixpkgs else nixpkgsPath;
  kindOf = nodeNixpkgs: if hostNixpkgs nodeNixpkgs == null then "standalone" else "nixos";

  standalone = import ./standalone { lib = bundledLib; system = args.system or null; };

  # { modules, specialArgs, nixpkgs ? null } -> the host's evaluation (with .config and
  # .options); nixpkgs: the node's own.
  # Messages name a host option under its node: `nodes.web.configuration.users...'.
  evalHost = { modules, specialArgs, nixpkgs ? null }:
    let
      pkgsPath = hostNixpkgs nixpkgs;
      prefix = [ "nodes" specialArgs.name "configuration" ];
    in
    if pkgsPath == null then
      standalone { inherit specialArgs prefix; modules = modules ++ hostChecks; }
    else
      import (pkgsPath + "/nixos/lib/eval-config.nix") {
        inherit system specialArgs prefix;
        # The remote switcher goes into every NixOS system (standalone ones carry it too).
        modules = modules ++ hostChecks ++ [ ./nixos/switcher.nix ];
      };
  # nixmesh's own checks of every host, whatever its kind.
  hostChecks = [ ./modules/host/authorized-keys.nix ./modules/host/home-directories.nix ./modules/host/etc-private-keys.nix ./modules/host/account-ids.nix ./modules/host/wireguard.nix ];

  # The engine the deploy script runs (see `nixmesh` above). Built for the machine that
  # evaluates, which is the one that runs ./result.
  engine =
    if nixmesh == false then null
    else if nixmesh != null then nixmesh
    else if nixpkgs == null then null
    else (import nixpkgsPath { config = { }; overlays = [ ]; }).callPackage ./package.nix { };

  # Whether the script pins an engine, decided without building (or importing) it.
  enginePinned = nixmesh != false && (nixmesh != null || nixpkgs != null);

  evaluation = lib.evalModules {
    modules = import ./modules/module-list.nix ++ (if builtins.isList userModule then userModule else [ userModule ]);
    specialArgs.nixmesh = {
      inherit kindOf evalHost system engine enginePinned holdsNixOS describeNixpkgs;
      # The nixpkgs folder a NixOS node is evaluated with (its files are NixOS's own
      # definitions, not the deployment's): a node's `nixpkgs' -> a path string.
      nixpkgsOf = nodeNixpkgs: toString (hostNixpkgs nodeNixpkgs);
      # Where the deploy script is built (and the pinned engine runs): the machine that
      # evaluates; given `system` where it cannot be asked (a flake's pure evaluation).
      buildSystem = if args ? system && args.system != null then args.system else builtins.currentSystem;
    };
  };

  inherit (evaluation) config options;

  # --- checks ---------------------------------------------------------------------------

  # Each node's `assertions`, and each host's own assertions and warnings (NixOS has
  # them; the standalone schema may), prefixed with the node's name; only the nodes in
  # the evaluation's `checkScope` (all unless a worker evaluates a share, see forNodes).
  prefixed = name: a: a // { message = "[${name}] ${a.message}"; };

  # withNetwork: the network level's own assertions and warnings too (a worker that
  # evaluates only its nodes leaves them to the one that evaluates the network level).
  # The cross-host checks of the scoped hosts' configurations (`hostAssertions`) are
  # every worker's.
  checksOfWith = withNetwork: config:
    let
      scoped = if config.checkScope == null then config.nodes
        else lib.filterAttrs (name: _: builtins.elem name config.checkScope) config.nodes;

      fromNodes = lib.concatLists (lib.mapAttrsToList (name: node: map (prefixed name) node.assertions) scoped);

      fromHosts = attr: lib.concatLists (lib.mapAttrsToList
        (name: node:
          let values = node.config.${attr} or [ ]; in
          map
            (v: if attr == "warnings" then "[${name}] ${v}" else prefixed name v)
            (if builtins.isList values then values else [ ]))
        scoped);

      # Network-level problems first: while one stands (a node name misspelt, say), the
      # hosts' own configurations may not even evaluate, so their assertions are only
      # read after.
      failedOf = list: map (a: a.message) (builtins.filter (a: !a.assertion) list);
      failedMessages =
        let network = failedOf ((if withNetwork then config.assertions else [ ]) ++ config.hostAssertions ++ fromNodes); in
        if network != [ ] then network else failedOf (fromHosts "assertions");

      allWarnings = (if withNetwork then config.warnings else [ ]) ++ fromHosts "warnings";
    in
    # One shared thunk, so that the warnings are printed once per evaluation.
    if failedMessages != [ ] then
      throw ("\nFailed assertions:\n" + lib.concatMapStrings (m: "- ${m}\n") failedMessages)
    else
      builtins.foldl' (acc: w: builtins.trace "warning: ${w}" acc) true allWarnings;

  checksOf = checksOfWith true;

  checkResult = checksOf config;

  checked = value: builtins.seq checkResult value;

  # The engine's worker evaluation: the plan without other nodes, and the listed nodes'
  # systems instantiated (their .drv and output paths), after the network-level checks and those of
  # the listed nodes' hosts (checkScope). Every node in exactly one worker's list, and
  # one worker with the network level, check exactly what one whole evaluation checks;
  # no worker holds more hosts than its list.
  #   nix-instantiate --eval --strict --json --read-write-mode -E '(import ./deploy.nix).forNodes [ "web" "db" ]'
  # The network evaluation whose checks read only the hosts of `names`.
  scopedTo = names: (evaluation.extendModules { modules = [ { checkScope = names; } ]; }).config;

  # forNodesWith { network = false; } is the same for the listed nodes alone: neither the
  # network level's checks nor its part of the plan, which one worker of a run evaluates
  # for all (over a large fleet they cost more than a light node's evaluation); what
  # the nodes themselves read of the network is evaluated as they read it.
  forNodesWith = { network ? true }: names:
    let
      c = scopedTo names;
      unknown = builtins.filter (n: !(c.nodes ? ${n})) names;
      nodePlans = lib.genAttrs names (n: c.plan.nodes.${n});
    in
    if unknown != [ ] then throw "forNodes: no node ${lib.concatStringsSep ", " unknown} in this deployment"
    else builtins.seq (checksOfWith network c) {
      plan =
        if network then removeAttrs c.plan [ "nodes" ] // { nodes = nodePlans; }
        else { inherit (c.plan) version; nodes = nodePlans; };
      drvPaths = lib.genAttrs names (n: c.nodes.${n}.system.drvPath);
      # Their outputs too: the engine asks the store only which are valid (a no-op).
      outPaths = lib.genAttrs names (n: c.nodes.${n}.system.outPath);
    };

  forNodes = forNodesWith { };

  # A derivation whose instantiation (drvPath/outPath) first runs the checks.
  checkedDrv = drv: drv // {
    drvPath = checked drv.drvPath;
    outPath = checked drv.outPath;
  };

  # --- deploy scripts (modules/deploy.nix) ---------------------------------------------

  inherit (config) deployScript;
in
checkedDrv deployScript // {
  inherit config options lib forNodes forNodesWith;

  # Each node's name, enable, tags and kind, without evaluating any host: what the
  # engine selects nodes by before it evaluates them (in workers, see forNodes), and
  # its first guess of their weight (a NixOS host is far heavier than a standalone one).
  nodeIndex = builtins.mapAttrs (_: node: { inherit (node) enable tags kind; }) config.nodes;

  # The plan's network level and every node's connection settings, with the network
  # level's checks; no host evaluated (a node's entry has no configuration): what the
  # commands that only reach hosts read (exec, ssh, verify, secrets, graph).
  # (One evaluation, scoped to no host, gives both; the unscoped `config` would be a
  # second evaluation of the network level.)
  connectionPlan = let c = scopedTo [ ]; in
    builtins.seq (checksOf c) (removeAttrs c.plan [ "nodes" ] // { nodes = c.planConnections; });

  plan = checked config.plan;

  nodes = builtins.mapAttrs (_: node: checkedDrv node.deployScript) config.nodes;

  systems = builtins.mapAttrs (_: node: checkedDrv node.system) config.nodes;

  # Options of the type nodes.nix calls `computed' are read-only without `readOnly' (which
  # would report a definition of the user's by printing the whole computed value).
  optionsList = map
    (o: if o.type or null == "value computed by nixmesh (read-only)" then o // { readOnly = true; } else o)
    (builtins.filter
      (o: (o.visible or true) != false && !(o.internal or false))
      (lib.optionAttrSetToDocList options));
}
