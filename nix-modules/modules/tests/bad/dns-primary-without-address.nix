# why: nsd needs an address to listen on and transfer from; ns's host is a DNS name
# expect-path: nodes.ns.dns.address
# expect: is the primary of zone `lab.test'
# expect: not an IP address
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  nodes.ns.host = "root@ns.example.org";
  dns.zones."lab.test".primaryNode = "ns";
}
