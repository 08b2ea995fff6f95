# Front door 1: the generated deploy scripts (docs/internals.md, "What the user's
# deploy.nix returns"; DESIGN.md, "Two front doors").
#
#   deployScript              the script for every enabled node (what `nix-build deploy.nix`
#                             builds; default.nix returns it)
#   nodes.<name>.deployScript the script for that node alone (`nix-build -A nodes.<name>`)
#
# Both are built by ../scripts/deploy-script.nix from each node's connection settings,
# its system (`nodes.<name>.system`, whose bin/nixmesh-switch is the remote switcher) and
# its secrets (`nodes.<name>.secrets`, ./secrets.nix): their sources and metadata, never
# their contents, plus, on standalone hosts, the activation scripts their restartOnChange
# names (NixOS: the names are units, restarted with systemctl).
{ config, lib, nixmesh, ... }:
let
  inherit (lib) mkOption types;

  makeScript = import ../scripts/deploy-script.nix;

  # What deploy-script.nix needs to know about one node.
  nodeSpec = name: node:
    let
      parts = builtins.match "(([^@]*)@)?(.*)" node.host;
      user = builtins.elemAt parts 1;
      address = builtins.elemAt parts 2;
      bracketed = builtins.match "\\[(.*)]" address;
      # ssh wants an IPv6 address without brackets (`root@2001:db8::1`).
      hostname = if bracketed == null then address else builtins.head bracketed;
    in
    {
      inherit name;
      inherit (node) port sshOptions successTimeout switchTimeout system;
      target = (if user == null then "" else "${user}@") + hostname;
      escalate = if user == "root" then [ ] else node.privilegeEscalationCommand;
      userKnown = user != null;
      inherit (nixmesh) kind;
      secrets = map (secretSpec node.secrets) (builtins.attrNames node.secrets);
      activationScripts =
        if nixmesh.kind != "standalone" then { }
        else
          let
            scripts = node.config.system.activationScripts or { };
            named = lib.unique (lib.concatMap (s: s.restartOnChange) (builtins.attrValues node.secrets));
          in
          # An unknown name fails the evaluation through secrets.nix's assertion first.
          lib.genAttrs (builtins.filter (n: scripts ? ${n}) named) (n:
            let v = scripts.${n}; in
            if builtins.isString v then { text = v; deps = [ ]; }
            else { text = v.text; deps = v.deps or [ ]; });
    };

  # One secret for deploy-script.nix: its source (a command's argv or a file's path, as a
  # string: the file is read when the script runs) and metadata; never its contents.
  secretSpec = secrets: name:
    let s = secrets.${name}; in
    {
      inherit (s) name path owner group mode uploadAt restartOnChange;
    } // (if s.command != null then { inherit (s) command; } else { inherit (s) file; });

  enabledNodes = lib.filterAttrs (_: node: node.enable) config.nodes;
in
{
  options = {
    deployScript = mkOption {
      type = types.package;
      readOnly = true;
      description = ''
        The deploy script for every enabled node: a readable bash script that copies each
        node's system, switches it through the node's remote switcher with confirmation
        and automatic rollback, all nodes in parallel, and prints a summary. Build and run
        it with `nix-build deploy.nix && ./result [switch|test|boot]`.
      '';
    };

    nodes = mkOption {
      type = types.attrsOf (types.submodule ({ name, config, ... }: {
        options.deployScript = mkOption {
          type = types.package;
          readOnly = true;
          description = ''
            The deploy script for this node alone (`nix-build deploy.nix -A
            nodes.<name>`). For a disabled node it deploys nothing and says so.
          '';
        };
        config.deployScript =
          if config.enable then
            makeScript { name = "nixmesh-deploy-${name}"; nodes = [ (nodeSpec name config) ]; }
          else
            makeScript {
              name = "nixmesh-deploy-${name}";
              nodes = [ ];
              note = "node ${name} is disabled (nodes.${name}.enable = false): nothing to deploy";
            };
      }));
    };
  };

  config.deployScript = makeScript {
    name = "nixmesh-deploy";
    nodes = lib.mapAttrsToList nodeSpec enabledNodes;
  };
}
