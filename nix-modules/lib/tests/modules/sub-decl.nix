# attrsOf submodule, with `name` and a value derived from other sub-options.
{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options.nodes = mkOption {
    type = types.attrsOf (types.submodule ({ name, config, ... }: {
      options.host = mkOption { type = types.str; default = name; description = "Host name."; };
      options.port = mkOption { type = types.port; default = 22; };
      options.addr = mkOption { type = types.str; readOnly = true; default = "${config.host}:${toString config.port}"; };
      options.tags = mkOption { type = types.listOf types.str; default = [ ]; };
    }));
    default = { };
    description = "The nodes.";
  };
}
