# A cross-host module of your own, written like nixmesh's ssh, vpn and dns modules: it
# declares network-level options, works out what each host needs, and writes it through
# `nodes.<host>.configuration` with NixOS option names, so it serves NixOS and
# standalone hosts alike.
#
#   monitoring.server = "gateway";            # collects the metrics
#   monitoring.exporters.web.port = 9100;     # nodes that export them
#
# Effect: every exporter opens its port to the server; the server gets
# /etc/monitoring/targets with one "node address:port" line per exporter.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.monitoring;

  # "[user@]host" -> host
  addressOf = node: lib.last (lib.splitString "@" config.nodes.${node}.host);

  # Normalise: one entry per exporter, sorted by name.
  exporters = lib.mapAttrsToList (node: e: { inherit node; inherit (e) port; }) cfg.exporters;

  # Group: what each host gets (a module of the host's own evaluation).
  hostConfig = name:
    lib.optionalAttrs (cfg.exporters ? ${name}) {
      networking.firewall.allowedTCPPorts = [ cfg.exporters.${name}.port ];
    }
    // lib.optionalAttrs (cfg.server == name) {
      environment.etc."monitoring/targets".text =
        lib.concatMapStrings (e: "${e.node} ${addressOf e.node}:${toString e.port}\n") exporters;
    };
in
{
  options.monitoring = {
    server = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The node that collects the metrics.";
    };
    exporters = mkOption {
      type = types.attrsOf (types.submodule {
        options.port = mkOption { type = types.port; default = 9100; description = "The exporter's TCP port."; };
      });
      default = { };
      description = "The nodes that export metrics, by node name.";
    };
  };

  # Emit: extend the node submodule, so every node's configuration gets its part.
  options.nodes = mkOption {
    type = types.attrsOf (types.submodule ({ name, ... }: {
      configuration = hostConfig name;
    }));
  };

  # Check: errors name the option path, as the module system's own do.
  config.assertions =
    map (node: { assertion = false; message = "`monitoring.exporters.${node}' names no node (nodes: ${lib.concatStringsSep ", " (builtins.attrNames config.nodes)})."; })
      (builtins.filter (n: !(config.nodes ? ${n})) (builtins.attrNames cfg.exporters))
    ++ lib.optional (cfg.server != null && !(config.nodes ? ${cfg.server}))
      { assertion = false; message = "`monitoring.server' is \"${cfg.server}\", which is no node."; };
}
