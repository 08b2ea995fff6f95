# why: peers would be told to reach web at address:0
# expect-path: vpn.networks.backbone.members.web.listenPort
# expect: is not of type `integer between 1 and 65535
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    members.web = { publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="; listenPort = 0; };
  };
}
