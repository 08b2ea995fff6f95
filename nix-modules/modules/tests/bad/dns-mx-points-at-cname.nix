# why: mail servers refuse an MX whose target is an alias
# expect-path: dns.records."lab.test".MX
# expect: points at `mail.lab.test', which is an alias
# expect-line: 10
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "db";
  dns.records."mail.lab.test".CNAME = "db.lab.test.";
  dns.records."db.lab.test".A = [ "198.18.0.13" ];
  dns.records."lab.test".MX = [ "10 mail.lab.test." ];
}
