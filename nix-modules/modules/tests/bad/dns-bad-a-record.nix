# expect-path: dns.records."web.lab.test".A
# expect: is not of type
# expect: IPv4 address
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."web.lab.test".A = "198.18.0.300";
}
