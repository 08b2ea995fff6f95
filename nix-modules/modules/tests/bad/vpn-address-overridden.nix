# why: a module of web gives the interface another address than the network assigned
# expect-path: nodes.web.configuration.networking.wireguard.interfaces.wg-backbone.ips
# expect: lacks the address 10.77.0.2/24 of `web'
import ../../../default.nix { } ({ lib, ... }: {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "10.77.0.0/24";
    topology = "star";
    server = "gateway";
    members.gateway = { address = "10.77.0.1"; publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; endpoint = "198.18.0.11:51820"; };
    members.web = { address = "10.77.0.2"; publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="; };
  };
  nodes.web.configuration.networking.wireguard.interfaces.wg-backbone.ips = lib.mkForce [ "10.9.9.9/24" ];
})
