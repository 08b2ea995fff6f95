# system.activationScripts as NixOS declares it (nixos/modules/system/activation/
# activation-script.nix): a snippet is a string or { text, deps, supportsDryActivation };
# NixOS's `apply' adds the assembled `script' (every snippet's text, which the toplevel's
# `activate' holds, so that what a snippet reads is evaluated with the system), and an
# unknown dependency fails.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  scriptType = types.either types.str (types.submodule {
    options = {
      deps = mkOption { type = types.listOf types.str; default = [ ]; description = "Snippets that run first."; };
      text = mkOption { type = types.lines; description = "The snippet."; };
      supportsDryActivation = mkOption { type = types.bool; default = false; description = "Runs on dry activation."; };
    };
  });
  depsOf = s: if builtins.isString s then [ ] else s.deps;
  assemble = set:
    let
      missing = lib.concatLists (lib.mapAttrsToList
        (n: s: map (d: "${n} -> ${d}") (builtins.filter (d: !(set ? ${d})) (depsOf s)))
        set);
    in
    if missing != [ ] then throw "activation script dependency missing: ${builtins.head missing}"
    else "#!/bin/sh\n# every snippet, assembled\n"
      + lib.concatStrings (lib.mapAttrsToList (n: s: "# ${n}\n${if builtins.isString s then s else s.text}\n") set);
in
{
  options.system.activationScripts = mkOption {
    type = types.attrsOf scriptType;
    default = { };
    description = "Snippets run on activation.";
    apply = set: set // { script = assemble set; };
  };

  # The snippets NixOS's own modules define (activation-script.nix, etc.nix,
  # users-groups.nix, network-interfaces.nix, wrappers, nix-daemon.nix), by name, for the
  # snippets of a deployment to depend on; users.nix defines `users' with its content.
  config.system.activationScripts = lib.genAttrs
    [ "stdio" "var" "specialfs" "binsh" "usrbinenv" "etc" "groups" "hostname" "wrappers" "nix" ]
    (n: lib.mkDefault "# ${n}: NixOS's snippet");
}
