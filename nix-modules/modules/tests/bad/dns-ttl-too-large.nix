# expect-path: dns.zones."lab.test".ttl
# expect: is not of type
# expect: seconds (0 to 2147483647)
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; ttl = 4294967296; };
}
