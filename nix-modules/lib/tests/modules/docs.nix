# Options for the documentation listing.
{ lib, ... }:
let inherit (lib) mkOption types literalExpression literalMD; in
{
  options = {
    plain = mkOption {
      type = types.port;
      default = 22;
      example = 2222;
      description = "A port.";
    };
    fn = mkOption {
      type = types.functionTo types.int;
      default = x: x;
      description = "A function default, shown as an expression.";
    };
    withText = mkOption {
      type = types.str;
      default = "computed";
      defaultText = literalExpression "config.networking.hostName";
      example = literalMD "the *host* name";
    };
    structured = mkOption {
      type = types.attrsOf types.int;
      default = { a = 1; };
      example = { b = 2; };
    };
    pathDefault = mkOption { type = types.path; default = ./docs.nix; };
    hidden = mkOption { type = types.int; default = 0; internal = true; };
    invisible = mkOption { type = types.int; default = 0; visible = false; };
    ro = mkOption { type = types.str; default = "fixed"; readOnly = true; };
    shallow = mkOption {
      type = types.submodule { options.inner = mkOption { type = types.int; default = 1; }; };
      default = { };
      visible = "shallow";
    };
    nodes = mkOption {
      description = "Nodes.";
      default = { };
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options.host = mkOption { type = types.str; default = name; description = "The host."; };
        options.ports = mkOption {
          type = types.listOf (types.submodule { options.number = mkOption { type = types.port; }; });
          default = [ ];
        };
      }));
    };
    group.enable = lib.mkEnableOption "the group";
    "dotted.name" = mkOption { type = types.nullOr types.str; default = null; };
  };
}
