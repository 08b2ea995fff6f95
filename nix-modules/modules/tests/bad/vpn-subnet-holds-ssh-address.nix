# why: the VPN's route would capture the traffic that reaches the hosts over SSH
# expect-path: vpn.networks.backbone.subnet
# expect: the SSH address of node
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.backbone = {
    subnet = "198.18.0.0/24";
    members.gateway = { address = "198.18.0.200"; publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; endpoint = "192.0.2.1:51820"; };
    members.web = { address = "198.18.0.201"; publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY="; };
  };
}
