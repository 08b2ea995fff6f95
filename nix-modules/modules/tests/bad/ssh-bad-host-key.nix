# expect-path: ssh.access.gateway.hostKeys.rsa
# expect: is not of type
# go: no (a type error: the plan never exists, so the Go checks cannot see it)
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.gateway.hostKeys.rsa = "ssh-rsa";
}
