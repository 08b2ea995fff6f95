# examples/custom-module's monitoring module with an exporter that is no node.
import ../../../default.nix { } {
  imports = [ ../../../../examples/custom-module/monitoring.nix ];
  nodes.gateway.host = "root@198.18.0.11";
  monitoring.server = "gateway";
  monitoring.exporters.wbe = { };
}
