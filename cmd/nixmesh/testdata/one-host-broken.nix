# Two nodes of which db's host configuration does not evaluate (a uid that is no
# number), and an optional failing network-level assertion: what the commands evaluate,
# and what they leave alone (TestCommandsEvaluateWhatTheyRead). secondBroken adds a node
# `cache' whose host fails too, differently (TestCheckFindsEveryBrokenHost).
{ failNetwork ? false, secondBroken ? false }:
import ../../../nix-modules { } {
  nodes.web = {
    host = "root@198.18.0.12";
    tags = [ "front" ];
    configuration.networking.hostName = "web";
  };
  nodes.db = {
    host = "db@198.18.0.13";
    port = 2222;
    configuration.users.users.x.uid = "not a number";
  };
  ssh.access.web.keys.deploy = {
    publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFSsFl8BSc2y63WnzJfqtd1iPFk6OtB9UblcKP16Qqb deploy@web";
  };
  nodes.cache = if secondBroken then {
    host = "root@198.18.0.14";
    configuration.networking.hostName = 42;
  } else { enable = false; host = "root@198.18.0.14"; };
  assertions = [{ assertion = !failNetwork; message = "the network level fails on purpose"; }];
}
