# expect-path: ssh.access.web.keys.deploy.hasAccessTo.gatway
# expect: which is no node
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
    hasAccessTo.gatway.root = true;
  };
}
