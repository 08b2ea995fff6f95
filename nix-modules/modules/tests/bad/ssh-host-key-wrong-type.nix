# expect-path: ssh.access.gateway.hostKeys.ed25519
# expect: is not of type
# expect: BASE64 being a key of that TYPE
# why: the blob of an OpenSSH key begins with its type; "ssh-rsa AAAA" is no RSA key (and
#      no key at all), so known_hosts would hold a key no host has.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.gateway.hostKeys.ed25519 = "ssh-rsa AAAA";
}
