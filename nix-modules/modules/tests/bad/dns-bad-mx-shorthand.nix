# expect-path: dns.records."lab.test".MX
# expect: is not of type
# go: no (a type error: the plan never exists, so the Go checks cannot see it)
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."lab.test".MX = "mail.lab.test";
}
