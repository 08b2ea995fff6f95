# why: a /30 has two host addresses for three members (the Go side assigns no addresses)
# expect-path: vpn.networks.backbone.subnet
# expect: too few for the 3 members
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/30";
    topology = "star";
    server = "gateway";
    members.gateway.publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=";
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
    members.db.publicKey = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00=";
  };
}
