# expect-path: dns.zones."lab.test".primaryNode
# expect: is "gatway", which is no node
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gatway";
}
