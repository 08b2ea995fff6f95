# The generated deploy script of front door 1 (`nix-build deploy.nix && ./result`). It is
# short and readable: a header naming what it deploys (per node: host, system, timeouts,
# secret sources without contents), then one `exec` of the Go deploy engine on the plan
# frozen into the store at build time:
#
#   nixmesh deploy --plan /nix/store/...-nixmesh-plan.json [ARGS...]
#
# There is no second engine: the script decides nothing but how its arguments map to the
# engine's flags. Deploying from it evaluates nothing; its closure holds the plan and
# every system it deploys (the plan refers to them), so they are built with it.
#
#   import ./deploy-script.nix {
#     name = "nixmesh-deploy";
#     nodes = [ { name = "web"; host = "root@198.18.0.12"; port = 22; system = <toplevel>;
#                 successTimeout = 20; switchTimeout = 60;
#                 secrets = [ { name = "db"; command = [ "pass" "show" "db" ]; # or file = "/...";
#                               path = "/var/lib/nixmesh/secrets/db"; uploadAt = "pre-activation"; } ]; } ];
#     plan = <the deployment's plan with a `frozen' member, as JSON text>;
#     engine = null;    # or the nixmesh binary (a path or a package); null: nixmesh on PATH
#     pinned = engine != null;  # whether engine is given (decided without forcing it)
#     note = "";        # optional: a line for the header, e.g. why there are no nodes
#   }
#
# How the script and its plan file are written: an executable file that refers to
# derivation outputs cannot be made by Nix builtins alone. With the engine pinned (a
# path or a package), the engine itself is the builder (`nixmesh __nix-write-file MODE`;
# the binary is static), so they build in any sandbox, with nothing from the host. With
# the engine taken from PATH at run time, /bin/sh writes them (`cp`), which needs
# `sandbox = false` or a /bin/sh in the sandbox.
{ name, nodes, plan, engine ? null, pinned ? engine != null, note ? "", system ? builtins.currentSystem }:
let
  # A word for bash: as it is when it has no special characters, else quoted ('it'\''s').
  quote = value:
    let s = toString value; in
    if builtins.match "[A-Za-z0-9_@%+=:,./-]+" s != null then s
    else "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  # A comment line: no newline can end the comment early.
  comment = s: "#   " + builtins.replaceStrings [ "\n" ] [ " " ] s + "\n";

  secretLine = s:
    comment ("  secret ${s.name}: "
      + (if s.command or null != null then "command ${builtins.concatStringsSep " " s.command}" else "file ${s.file}")
      + " -> ${s.path} (${s.uploadAt})");

  nodeLines = node:
    comment "${node.name}: ${node.host} port ${toString node.port}; confirm within ${toString node.successTimeout}s, activation limit ${toString node.switchTimeout}s"
    + comment "  system ${node.system}"
    + builtins.concatStringsSep "" (map secretLine (node.secrets or [ ]));

  # The plan's own text carries no build inputs (an etc file's source it mentions is the
  # system's business); the systems of the nodes deployed are what the plan depends on,
  # so building the script builds them and keeps them alive.
  # `pinned` says whether there is an engine without forcing it (with nixpkgs, it is a
  # package that only building the script builds).
  enginePath = if !pinned then "" else if builtins.isAttrs engine then "${engine}/bin/nixmesh" else "${engine}";

  # writeFile NAME CONTENT MODE EXTRA: a derivation whose output is CONTENT, with MODE.
  writeFile = fileName: content: mode: extra: derivation ({
    name = fileName;
    inherit system content;
    passAsFile = [ "content" ];
  } // (if pinned then {
    builder = enginePath;
    args = [ "__nix-write-file" mode ];
  } else {
    builder = "/bin/sh";
    args = [ "-c" "cp \"$contentPath\" \"$out\" && chmod ${mode} \"$out\"" ];
    PATH = "/usr/bin:/bin";
  }) // extra);

  planFile = writeFile "${name}-plan.json" (builtins.unsafeDiscardStringContext plan) "0444" {
    systems = map (n: n.system) nodes;
  };

  text = ''
    #!/usr/bin/env bash
    # ${name}: deploys ${toString (builtins.length nodes)} node(s) with the nixmesh deploy engine, over the
    # plan frozen when this script was built. Nothing is evaluated when it runs.
    #
  '' + builtins.concatStringsSep "#\n" (map nodeLines nodes)
  + (if note == "" then "" else comment note)
  + ''
    #
    # Usage: ./result [switch|test|boot|dry-activate|dry-run] [NODE|@TAG|GLOB...] [nixmesh deploy flags]
    #   switch        activate, confirm over a new connection, make it the boot default (default)
    #   test          activate and confirm only;  boot  make it the boot default only
    #   dry-activate  copy the closures and run each new system's switch-to-configuration
    #                 dry-activate on its host: what the activation would do; switch nothing
    #   dry-run       connect and show what would be copied and run; change nothing
    # Exit codes are nixmesh deploy's: 0 ok, 2 usage, 5 a host failed, 6 a host rolled back, 130 interrupted.
    set -euo pipefail
    plan=${planFile}
    engine=${quote enginePath}
  '' + ''
    if [[ -z $engine ]]; then
      engine=$(command -v nixmesh) || {
        echo "error: the nixmesh engine is not on PATH. Put bin/nixmesh on PATH (make build), or" >&2
        echo "pin it in the script: import ./nix-modules { nixmesh = ./bin/nixmesh; } (with nixpkgs given, Nix builds it)." >&2
        exit 2
      }
    fi
    args=()
    case ''${1-} in
      switch|test|boot) args+=(--action "$1"); shift ;;
      dry-activate) args+=(--dry-activate); shift ;;
      dry-run) args+=(--dry-run); shift ;;
      -h|--help)
        sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
        echo; echo "Flags (passed to nixmesh deploy):"
        "$engine" deploy --help | sed -n '/^Flags:/,$p' | tail -n +2
        exit 0 ;;
    esac
  '' + (if nodes == [ ] then ''
    printf '%s\n' ${quote (if note == "" then "nothing to deploy" else note)}
    exit 0
  '' else ''
    NIXMESH_SCRIPT=$0 exec "$engine" deploy --plan "$plan" "''${args[@]}" "$@"
  '');
in
writeFile name text "0555" { }
