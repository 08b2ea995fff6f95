# why: a zone with an SOA master that is no domain name fails to load on the host
# expect-path: dns.zones."lab.test".soa.master
# expect: which is not a domain name
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "db"; soa.master = "ns one"; };
}
