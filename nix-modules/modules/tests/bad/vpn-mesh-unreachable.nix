# expect-path: vpn.networks.backbone.members.db.endpoint
# expect: nobody can reach `db'
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    members.web = { publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="; endpoint = null; };
    members.db = { publicKey = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00="; endpoint = null; };
  };
}
