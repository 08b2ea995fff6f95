# why: the same name (compared in lowercase, without the trailing dot) from two places
# expect-path: dns.records."www.lab.test".CNAME
# expect: also has TXT data
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."www.lab.test".CNAME = "web.lab.test.";
  nodes.web.dns.records."WWW.lab.test.".TXT = "hello";
}
