# why: a module of web overrides its known hosts, so web could not verify db any more
# expect-path: nodes.web.configuration.programs.ssh.knownHosts
# expect: has no entry with host key `ed25519' of `db'
import ../../../default.nix { } ({ lib, ... }: {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
    hasAccessTo.db.root = true;
  };
  nodes.web.configuration.programs.ssh.knownHosts = lib.mkForce { };
})
