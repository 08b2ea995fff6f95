# expect-path: nodes.gateway.configuration.services.nsd.zones."lab.test".data
# expect: is not the zone `dns.zones' generates for lab.test
# why: records appended to a served zone by a host module are served without the serial
#      following them (secondaries keep the old zone), and mkForce replaces the zone.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."web.lab.test".A = "198.18.0.12";
  nodes.gateway.configuration.services.nsd.zones."lab.test".data = "extra IN A 10.0.0.1";
}
