# expect-path: dns.records."lab.test".MX
# expect: is not of type
# why: an MX (NS, CNAME, SRV) target names a host, not an address (RFC 1912 2.4):
#      "198.18.0.11" would be looked up as a name and found nowhere.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."lab.test".MX = "10 198.18.0.11";
}
