# expect-path: deployHost
# expect: picks Nixus's per-deploy-host addresses
# expect-line: 8
# why: Nixus's deployHost/deployFrom have no counterpart; the error says what to do.
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12";
  # A Nixus deployment that chose addresses by deploying machine:
  deployHost = "laptop";
}
