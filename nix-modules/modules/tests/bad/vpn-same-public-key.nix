# why: web and db were given one key pair; peers could not tell them apart
# expect-path: vpn.networks.backbone.members.web.publicKey
# expect: is also the public key of `db'
# expect-line: 10
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    members.gateway = { publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; endpoint = "198.18.0.11:51820"; };
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
    members.db.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  };
}
