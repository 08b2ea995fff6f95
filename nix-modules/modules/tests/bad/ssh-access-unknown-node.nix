# expect-path: ssh.access.laptop
# expect: names no node
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.laptop.keys.me = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
    hasAccessTo.db.root = true;
  };
}
