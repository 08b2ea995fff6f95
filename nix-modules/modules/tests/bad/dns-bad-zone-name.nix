# expect-path: dns.zones."lab..test"
# expect: is not a valid zone name
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab..test".primaryNode = "gateway";
}
