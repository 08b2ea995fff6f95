# why: gateway declares no host keys, so web could not verify it
# expect-path: ssh.access.web.keys.deploy.hasAccessTo.gateway.root
# expect: has no host keys
# expect: Set `ssh.access.gateway.hostKeys'
# expect: host `web'
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
    hasAccessTo.gateway.root = true;
  };
}
