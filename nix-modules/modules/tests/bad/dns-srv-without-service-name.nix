# expect-path: dns.records."sip.lab.test".SRV
# expect: _service._proto.name
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."sip.lab.test".SRV = "0 5 5060 gateway.lab.test.";
}
