# expect-path: dns.records."lab.test".CNAME
# expect: it is a zone's apex
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."lab.test".CNAME = "web.lab.test.";
}
