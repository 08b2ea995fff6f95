# why: a module of db overrides root's authorized keys, which silently undoes web's grant
# expect-path: nodes.db.configuration.users.users.root.openssh.authorizedKeys.keys
# expect: lacks the key `deploy' of host `web'
# expect: overrides the list
import ../../../default.nix { } ({ lib, ... }: {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
    hasAccessTo.db.root = true;
  };
  nodes.db.configuration.users.users.root.openssh.authorizedKeys.keys = lib.mkForce [ ];
})
