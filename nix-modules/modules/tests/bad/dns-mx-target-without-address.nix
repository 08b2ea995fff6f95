# expect-path: dns.records."lab.test".MX
# expect: points at `mail.lab.test', which has no address
# why: the MX names a host of a zone served here that has no A or AAAA record: mail to
#      lab.test would bounce.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."gateway.lab.test".A = "198.18.0.11";
  dns.records."lab.test".MX = "10 mail.lab.test.";
}
