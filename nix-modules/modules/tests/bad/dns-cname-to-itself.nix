# expect-path: dns.records."loop.lab.test".CNAME
# expect: an alias of itself
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."loop.lab.test".CNAME = "loop.lab.test.";
}
