# why: a module of web replaces all WireGuard interfaces, so web's backbone interface is gone
# expect-path: nodes.web.configuration.networking.wireguard.interfaces.wg-backbone
# expect: is missing, though `web' is a member of `vpn.networks.backbone'
import ../../../default.nix { } ({ lib, ... }: {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    topology = "star";
    server = "gateway";
    members.gateway = { publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; endpoint = "198.18.0.11:51820"; };
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  };
  nodes.web.configuration.networking.wireguard.interfaces = lib.mkForce { };
})
