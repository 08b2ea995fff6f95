# What the v2 merge protocol exposes: options.X.valueMeta for attrsOf, listOf and
# submodule values, and nothing for a type without v2.
{ lib, options, ... }:
let inherit (lib) mkOption types; in
{
  options.plain = mkOption { type = types.str; default = "x"; };
  options.byName = mkOption {
    type = types.attrsOf (types.submodule { options.port = mkOption { type = types.int; default = 1; }; });
    default = { };
  };
  options.inOrder = mkOption { type = types.listOf types.str; default = [ ]; };
  options.maybe = mkOption { type = types.attrsOf types.int; default = { }; };

  config.byName.web.port = 80;
  config.byName.db = { };
  config.inOrder = [ "a" "b" "c" ];
  config.maybe = { kept = 1; gone = lib.mkIf false 2; };

  # Read through the module's own `options` argument, as a module would.
  options.seen = mkOption {
    default = {
      webPortFromMeta = options.byName.valueMeta.attrs.web.configuration.config.port;
      webPortDefinedIn = builtins.length options.byName.valueMeta.attrs.web.configuration.options.port.definitions;
      listEntries = builtins.length options.inOrder.valueMeta.list;
      maybeNames = builtins.attrNames options.maybe.valueMeta.attrs;
      plainMeta = options.plain.valueMeta;
    };
  };
}
