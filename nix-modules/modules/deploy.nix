# Front door 1: the generated deploy scripts (docs/internals.md, "What the user's
# deploy.nix returns"; DESIGN.md, "Two front doors").
#
#   deployScript              the script for every enabled node (what `nix-build deploy.nix`
#                             builds; default.nix returns it)
#   nodes.<name>.deployScript the script for that node alone (`nix-build -A nodes.<name>`)
#
# Both are built by ../scripts/deploy-script.nix: a short script that names what it
# deploys and runs the Go engine (`nixmesh deploy --plan`) on the deployment's plan,
# frozen into the store with the systems of the nodes it deploys. The engine binary is
# the entry point's `nixmesh` argument when given (pinned in the script's closure), else
# nixmesh on PATH when the script runs.
{ config, lib, nixmesh, ... }:
let
  inherit (lib) mkOption types;

  # The script for `names`: their connection settings and secret sources for the header,
  # and the plan frozen with their systems (the engine reads nothing else).
  makeScript = { name, names, note ? "" }:
    import ../scripts/deploy-script.nix {
      inherit name note;
      inherit (nixmesh) engine;
      pinned = nixmesh.enginePinned;
      # The script runs where it is built; a flake's pure evaluation has no
      # builtins.currentSystem, and then the entry point's `system` is the one given.
      system = nixmesh.buildSystem;
      nodes = map (n: nodeSpec n config.nodes.${n}) names;
      plan = builtins.toJSON (config.plan // {
        frozen = {
          nodes = names;
          systems = lib.genAttrs names (n: "${config.nodes.${n}.system}");
        };
      });
    };

  # What the script's header says about one node.
  nodeSpec = name: node: {
    inherit name;
    inherit (node) host port successTimeout switchTimeout system;
    secrets = map
      (n: let s = node.secrets.${n}; in { inherit (s) name path uploadAt; }
        // (if s.command != null then { inherit (s) command; } else { inherit (s) file; }))
      (builtins.attrNames node.secrets);
  };

  enabledNodes = lib.filterAttrs (_: node: node.enable) config.nodes;
in
{
  options = {
    deployScript = mkOption {
      type = types.package;
      readOnly = true;
      description = ''
        The deploy script for every enabled node: a short, readable script that names what
        it deploys and runs the nixmesh deploy engine on the plan frozen at build time
        (every system built with it). Build and run it with
        `nix-build deploy.nix && ./result [switch|test|boot|dry-activate] [NODE...]`.
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
            makeScript { name = "nixmesh-deploy-${name}"; names = [ name ]; }
          else
            makeScript {
              name = "nixmesh-deploy-${name}";
              names = [ ];
              note = "node ${name} is disabled (nodes.${name}.enable = false): nothing to deploy";
            };
      }));
    };
  };

  config.deployScript = makeScript {
    name = "nixmesh-deploy";
    names = builtins.attrNames enabledNodes;
  };
}
