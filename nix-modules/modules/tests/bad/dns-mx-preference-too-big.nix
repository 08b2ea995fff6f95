# why: a preference above 65535 passes nsd-checkzone but no resolver takes it
# expect-path: dns.records."lab.test".MX
# expect: is not of type
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."lab.test".MX = [ "70000 mail.lab.test." ];
}
