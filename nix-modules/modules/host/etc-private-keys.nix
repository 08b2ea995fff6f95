# A host module in every node's own evaluation (standalone and NixOS): a private key
# given as an /etc file is refused. /etc's files come from the Nix store, which every
# user of the deploying machine and of every host the system is copied to can read; the
# usual slip is `environment.etc."ssh/ssh_host_ed25519_key".source = ./keys/host`.
# NixOS accepts it. Sources written as Nix paths are read here (others are left alone).
# A source written as a Nix path that does not exist is refused too, at its definition:
# both kinds of host copy it into the store while evaluating, and Nix's own error names
# only the missing file.
{ lib, config, options, ... }:
let
  cross = import ../cross/lib.nix { inherit lib; };
  isPrivate = cross.isPrivateKey;
  # (With a text, NixOS makes the source from it: not read, nor built, here.)
  sourcePrivate = e: (e.text or null) == null
    && builtins.isPath (e.source or null) && builtins.pathExists e.source
    && !(lib.pathIsDirectory e.source) && isPrivate (builtins.readFile e.source);
  missing = lib.filterAttrs (_: e: (e.enable or true) && (e.text or null) == null
    && builtins.isPath (e.source or null) && !(builtins.pathExists e.source)) config.environment.etc;
  leaks = lib.filterAttrs (_: e: (e.enable or true) && (isPrivate (e.text or null) || sourcePrivate e))
    config.environment.etc;
in
{
  config.assertions = lib.mapAttrsToList
    (name: e: {
      assertion = false;
      message = "${cross.showEntry options.environment.etc name}: its ${if isPrivate (e.text or null) then "text" else "source ${toString e.source}"} is a private key (\"PRIVATE KEY\"): /etc files come from the Nix store, which every user of this machine and of the host can read. Deliver the key with the node's `secrets' (copied to the host at deploy time, never through the store), and treat this one as leaked.";
    })
    leaks
  ++ lib.mapAttrsToList
    (name: e: {
      assertion = false;
      message = "${cross.showEntry options.environment.etc name}: its source ${toString e.source} does not exist (a Nix path is copied into the store where the system is evaluated). Fix the path, or write it as a string (\"/path\") for a file that is on the host.";
    })
    missing;
}
