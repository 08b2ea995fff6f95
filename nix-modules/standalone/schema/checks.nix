# Mistakes in a standalone host's configuration that its activation would otherwise only
# meet on the host (or never): reported as assertions when the deployment is evaluated,
# before anything is built or copied. (Each message names the option under its node; nix-modules/default.nix
# also puts the node's name in front of it.)
{ lib, config, options, ... }:
let
  cross = import ../../modules/cross/lib.nix { inherit lib; };
  # " (in `FILE:LINE')" for the definitions of an attribute set option that define `name'.
  whereDefined = option: name: cross.inFiles (cross.attrDefinitionFiles option name);
  # The full path of an attribute of an option (under the node: `nodes.web.configuration.
  # environment.etc."motd"'), in the module system's quotes.
  pathOf = option: rest: cross.showPath (option.loc ++ rest);
  etc = config.environment.etc;
  scripts = builtins.mapAttrs
    (_: s: if builtins.isString s then { deps = [ ]; } else s)
    config.system.activationScripts;
  names = builtins.attrNames scripts;

  # NixOS's built-in activation stages: a dependency on one is met on standalone hosts
  # (every snippet runs after users, groups, files and the hostname are applied).
  builtinStages = [ "specialfs" "users" "groups" "etc" "hostname" "binsh" "usrbinenv" "var" "wrappers" "nix" ];
  depsOf = n: builtins.filter (d: scripts ? ${d}) (scripts.${n}.deps or [ ]);

  # A cycle through `start`, as the list of snippets start -> ... -> start, or null.
  cycleFrom = start:
    let
      go = path: n:
        if builtins.elem start (depsOf n) then path ++ [ n start ]
        else builtins.foldl'
          (found: d: if found != null || builtins.elem d (path ++ [ n ]) then found else go (path ++ [ n ]) d)
          null
          (depsOf n);
    in
    go [ ] start;
  # Each cycle once: from its first snippet by name.
  cycles = builtins.filter (c: c != null && builtins.head c == builtins.head (builtins.sort (a: b: a < b) c))
    (map cycleFrom names);
in
{
  config.assertions =
    lib.mapAttrsToList
      (name: e: {
        assertion = !(e.enable && e.text != null && e.source != null);
        message = "${pathOf options.environment.etc [ name ]}${whereDefined options.environment.etc name} sets both `text' and `source': the file would silently be one of them. Keep one.";
      })
      etc
    ++ lib.concatMap
      (name: map
        (d: {
          assertion = false;
          message = "${pathOf options.system.activationScripts [ name "deps" ]}${whereDefined options.system.activationScripts name}: `${name}' depends on `${d}', which is not defined (activation scripts: ${lib.concatStringsSep ", " names}).";
        })
        (builtins.filter (d: !(scripts ? ${d}) && !(builtins.elem d builtinStages)) scripts.${name}.deps))
      names
    ++ map
      (c: {
        assertion = false;
        message = "${pathOf options.system.activationScripts [ (builtins.head c) "deps" ]}${whereDefined options.system.activationScripts (builtins.head c)}: the activation scripts depend on each other in a cycle: ${lib.concatStringsSep " -> " c}. No order can run them: break the cycle.";
      })
      cycles;
}
