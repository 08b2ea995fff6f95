# expect-path: dns.records."www.lab.test".CNAME
# expect: has several values
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."www.lab.test".CNAME = [ "web.lab.test." "db.lab.test." ];
}
