# expect-path: nodes.web.configuration.networking.firewall.allowedUDPPorts
# expect: lacks port 51820, where `web' listens for `vpn.networks.backbone'
# why: a host module that forces its own list of open ports drops the port the VPN
#      opened: on NixOS the firewall then drops the other members' packets.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    backend = "wireguard";
    subnet = "10.77.0.0/24";
    members.gateway = { publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; privateKeyFile = "/k"; endpoint = "198.18.0.11:51820"; };
    members.web = { publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="; privateKeyFile = "/k"; };
  };
  nodes.web.configuration = { lib, ... }: { networking.firewall.allowedUDPPorts = lib.mkForce [ 53 ]; };
}
