# expect-path: vpn.networks.backbone.members.gateway.address
# expect: also has
# expect: while reading `vpn.resolved.backbone'
# why: a DNS record reads a member's address from `vpn.resolved` while the network has a
#      problem; the error names that problem, not a missing attribute.
import ../../../default.nix { } ({ config, ... }: {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    topology = "star";
    server = "gateway";
    members.gateway = { publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; address = "10.77.0.1"; };
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
    members.db = { publicKey = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00="; address = "10.77.0.1"; };
  };
  dns.zones."lab.test" = { primaryNode = "gateway"; soa.master = "gateway.lab.test."; };
  dns.records."web.vpn.lab.test".A = config.vpn.resolved.backbone.members.web.address;
})
