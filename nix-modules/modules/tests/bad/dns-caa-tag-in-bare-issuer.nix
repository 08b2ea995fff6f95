# expect-path: dns.records."lab.test".CAA
# expect: is not of type
# why: a bare CAA string is the issuer's domain (an `issue' property); "issue
#      letsencrypt.org" would authorise a CA named "issue letsencrypt.org".
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."lab.test".CAA = "issue letsencrypt.org";
}
