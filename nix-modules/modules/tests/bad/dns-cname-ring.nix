# expect-path: dns.records."a.lab.test".CNAME
# expect: ring of aliases (a.lab.test -> b.lab.test -> a.lab.test)
# why: two names that are each other's alias: every lookup of either fails.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."a.lab.test".CNAME = "b.lab.test";
  dns.records."b.lab.test".CNAME = "a.lab.test.";
}
