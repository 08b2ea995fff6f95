# expect-path: nodes.gateway.configuration.services.nsd.enable
# expect: is false, but `gateway' serves `lab.test' (primary)
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  nodes.gateway.configuration = { lib, ... }: { services.nsd.enable = lib.mkForce false; };
}
