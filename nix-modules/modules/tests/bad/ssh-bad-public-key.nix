# expect-path: ssh.access.web.keys.deploy.publicKey
# expect: is not of type
# expect: OpenSSH public key
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.web.keys.deploy = {
    publicKey = "AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8 deploy@web";
    hasAccessTo.db.root = true;
  };
}
