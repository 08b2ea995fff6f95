# why: an SOA email that is neither user@domain nor a name fails to load on the host
# expect-path: dns.zones."lab.test".soa.email
# expect: neither user@domain nor a domain name
# expect-line: 7
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "db"; soa.email = "hostmaster at lab"; };
}
