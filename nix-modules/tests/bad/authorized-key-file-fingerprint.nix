# expect-path: nodes.web.configuration.users.users.alice
# expect: fingerprint.pub has the line "SHA256:
# expect: is not an OpenSSH public key line
# expect-line: 12
# why: a key file whose second key is a fingerprint (what `ssh-keygen -l` prints), not
#      the key: sshd skips the line and alice cannot log in from her phone. NixOS
#      accepts any text; nixmesh reads key files written as Nix paths and refuses it.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = {
      users.users.alice = {
        isNormalUser = true;
        openssh.authorizedKeys.keyFiles = [
          ../bad-data/fingerprint.pub
        ];
      };
    };
  };
}
