# expect-path: dns.zones."lab.test".primaryNode
# expect: is not set
# expect: needs a node to serve it
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".ttl = 60;
}
