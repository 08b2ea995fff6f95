# why: web would have two routes for the same addresses
# expect-path: vpn.networks.second.subnet
# expect: overlaps 10.77.0.0/24 of `vpn.networks.first'
# expect-line: 13
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  vpn.networks.first = {
    subnet = "10.77.0.0/24";
    members.gateway = { publicKey = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU="; endpoint = "198.18.0.11:51820"; };
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  };
  vpn.networks.second = {
    subnet = "10.77.0.0/16";
    listenPort = 51821;
    members.db = { publicKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="; endpoint = "198.18.0.13:51821"; };
    members.web.publicKey = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  };
}
