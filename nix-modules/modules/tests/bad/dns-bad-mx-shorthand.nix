# expect-path: dns.records."lab.test".MX
# expect: is not of type
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."lab.test".MX = "mail.lab.test";
}
