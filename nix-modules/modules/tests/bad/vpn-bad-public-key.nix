# expect-path: vpn.networks.backbone.members.web.publicKey
# expect: is not of type
# expect: WireGuard public key
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    topology = "star";
    server = "gateway";
    members.gateway.publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=";
    members.web.publicKey = "not-a-key";
    members.db.publicKey = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00=";
  };
}
