# expect-path: ssh.access.gateway.hostKeys.rsa
# expect: is not of type
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.gateway.hostKeys.rsa = "ssh-rsa";
}
