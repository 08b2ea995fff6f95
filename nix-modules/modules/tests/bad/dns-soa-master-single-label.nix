# expect-path: dns.zones."lab.test".soa.master
# expect: a single label
# why: the SOA's primary server name is absolute too: "gateway" would be "gateway.".
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway"; };
}
