# Using a cross-host module of your own: import it next to your nodes.
#   nix-instantiate --eval --strict --json -A plan examples/custom-module/deploy.nix
import ../../nix-modules { } {
  imports = [ ./monitoring.nix ];
  nodes.gateway.host = "root@198.18.0.11";
  nodes.web.host = "root@198.18.0.12";
  nodes.db.host = "root@198.18.0.13";
  monitoring.server = "gateway";
  monitoring.exporters.web = { };
  monitoring.exporters.db.port = 9187;
}
