# why: the zone's name server would never be deployed
# expect-path: dns.zones."lab.test".primaryNode
# expect: a disabled node
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  nodes.gateway.enable = false;
  dns.zones."lab.test".primaryNode = "gateway";
}
