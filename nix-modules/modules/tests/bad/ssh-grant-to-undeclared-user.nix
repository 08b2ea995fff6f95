# why: nixmesh adds keys to users but never creates one; `alice' exists nowhere on db.
# expect-path: ssh.access.web.keys.deploy.hasAccessTo.db.alice
# expect: which `db' does not declare
# expect-line: 9
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
    hasAccessTo.db.alice = true;
  };
}
