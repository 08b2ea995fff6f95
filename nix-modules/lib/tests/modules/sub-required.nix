# attrsOf submodule with an option that has no default: the message of a missing value
# names where the entry is defined (the bundled lib; nixpkgs' says only "Try setting").
{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options.checks = mkOption {
    type = types.attrsOf (types.submodule {
      options.command = mkOption { type = types.str; };
      options.retries = mkOption { type = types.int; default = 1; };
    });
    default = { };
  };
}
