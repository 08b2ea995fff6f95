# expect-path: nodes.web.sshOptions
# expect: is not of type
# expect: list of
# expect-line: 9
# why: sshOptions are ssh's own arguments, a list, not an attrset of settings.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    sshOptions = { ProxyJump = "bastion"; };
  };
}
