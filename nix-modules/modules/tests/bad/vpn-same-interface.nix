# expect-path: vpn.networks.second.interface
# expect: is wg0 on node `web'
# expect: different interface names
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.first = {
    subnet = "10.77.0.0/24";
    interface = "wg0";
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  };
  vpn.networks.second = {
    subnet = "10.78.0.0/24";
    interface = "wg0";
    listenPort = 51821;
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  };
}
