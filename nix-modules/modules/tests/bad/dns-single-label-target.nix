# expect-path: dns.records."www.lab.test".CNAME
# expect: is not of type
# expect: a single label only with its dot
# why: names in record data are absolute, so "web" would be the top-level name "web.";
#      it is almost surely meant as web.lab.test.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."www.lab.test".CNAME = "web";
}
