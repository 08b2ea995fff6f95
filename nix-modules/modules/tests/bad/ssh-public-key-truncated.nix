# expect-path: ssh.access.web.keys.deploy.publicKey
# expect: is not of type
# expect: BASE64 being a key of that TYPE
# why: an ed25519 key's blob has 68 characters; this one lost its end in a copy and paste.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9U deploy@web";
    hasAccessTo.db.root = true;
  };
}
