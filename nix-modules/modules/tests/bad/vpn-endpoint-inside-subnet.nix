# why: the tunnel would have to carry the packets that build it
# expect-path: vpn.networks.backbone.members.gateway.endpoint
# expect: inside the network's own subnet
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    members.gateway = { publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; endpoint = "10.77.0.99:51820"; };
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  };
}
