# expect-path: vpn.networks.backbone.members.web.address
# expect: is 10.77.0.5
# expect: `vpn.networks.backbone.members.db.address' also has
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    topology = "star";
    server = "gateway";
    members.gateway.publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=";
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
    members.db.publicKey = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00=";
    members.db.address = "10.77.0.5";
    members.web.address = "10.77.0.5";
  };
}
