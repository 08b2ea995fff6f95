# A host module in every node's own evaluation (standalone and NixOS): what is given as
# a user's authorized key must be one. NixOS accepts any string, and sshd skips a line
# it cannot read, so a slip shows only when the user cannot log in:
#  - a private key (the usual slip: `keyFiles = [ ./id_ed25519 ]` for the .pub file).
#    Everything in a system is world-readable in the Nix store, so the key would leak
#    to every user of every machine the system reaches;
#  - a line that is no public key: a fingerprint (`SHA256:...`), the base64 part alone,
#    a key cut short or pasted under the wrong type;
#  - a key file that does not exist: keyFiles are read where the system is evaluated
#    (NixOS and the standalone toplevel both read them), so a missing one would stop the
#    evaluation at the file, without the option that names it.
# Files written as Nix paths are read here (a string path may name a file of the host,
# or need an impure evaluation: left alone).
{ lib, config, options, ... }:
let
  cross = import ../cross/lib.nix { inherit lib; };
  isPrivate = cross.isPrivateKey;
  readable = f: builtins.isPath f && builtins.pathExists f;
  privateFiles = files: builtins.filter (f: readable f && isPrivate (builtins.readFile f)) files;

  # An authorized_keys line: [options ]type base64[ comment]. The options may hold
  # quoted spaces, so the type is looked for as a word followed by a blob; certificates
  # and types newer than cross.sshKeyFitsType knows pass when the blob looks like one.
  # Blank lines and comments are what sshd skips on purpose.
  known = [ "ssh-ed25519" "ssh-rsa" "ssh-dss" "ecdsa-sha2-nistp256" "ecdsa-sha2-nistp384"
    "ecdsa-sha2-nistp521" "sk-ssh-ed25519@openssh.com" "sk-ecdsa-sha2-nistp256@openssh.com" ];
  keyLineOk = line:
    let
      m = builtins.match "(|.*[[:space:]])([A-Za-z0-9@._-]+)[[:space:]]+(AAAA[A-Za-z0-9+/]*=*)([[:space:]].*)?" line;
      type = builtins.elemAt m 1;
      blob = builtins.elemAt m 2;
    in
    builtins.match "[[:space:]]*(#.*)?" line != null
    || m != null && (!(builtins.elem type known) || cross.sshKeyFitsType "${type} ${blob}");
  lines = text: builtins.filter builtins.isString (builtins.split "\n" text);
  badLines = text: builtins.filter (l: !(keyLineOk l)) (lines text);
  badInFile = f: if readable f && !(isPrivate (builtins.readFile f)) then badLines (builtins.readFile f) else [ ];
  short = s: if builtins.stringLength s > 60 then builtins.substring 0 57 s + "..." else s;
  what = "is not an OpenSSH public key line (`[options] type base64-key [comment]', e.g. the line of an id_ed25519.pub): sshd would skip it and nobody could log in with it";
in
{
  config.assertions = lib.concatLists (lib.mapAttrsToList
    (key: user:
      let
        ak = user.openssh.authorizedKeys or { };
        files = privateFiles (ak.keyFiles or [ ]);
        where = cross.showEntry options.users.users key;
        badKeys = lib.concatMap (k: if isPrivate k then [ ] else badLines k) (ak.keys or [ ]);
        badFiles = builtins.filter (f: badInFile f != [ ]) (ak.keyFiles or [ ]);
        missing = builtins.filter (f: !(builtins.pathExists f)) (ak.keyFiles or [ ]);
      in
      lib.optional (missing != [ ]) {
        assertion = false;
        message = "${where}: openssh.authorizedKeys.keyFiles names ${lib.concatMapStringsSep ", " toString missing}, which does not exist on this machine: key files are read where the system is evaluated (and their keys built into it), not on the host. Give the public key file's path here, or the key's line in `keys'.";
      }
      ++ [
        {
          assertion = !(builtins.any isPrivate (ak.keys or [ ]));
          message = "${where}: openssh.authorizedKeys.keys holds a private key (\"PRIVATE KEY\"): in the Nix store every user could read it, and it lets nobody log in. Use the public key (the line of the .pub file) and treat this key as leaked.";
        }
        {
          assertion = files == [ ];
          message = "${where}: openssh.authorizedKeys.keyFiles names ${lib.concatMapStringsSep ", " toString files}, a private key: in the Nix store every user could read it, and it lets nobody log in. Name the .pub file instead.";
        }
      ]
      # (Only when failing: the messages name the first bad line.)
      ++ lib.optional (badKeys != [ ]) {
        assertion = false;
        message = "${where}: openssh.authorizedKeys.keys: \"${short (builtins.head badKeys)}\" ${what}.";
      }
      ++ lib.optional (badFiles != [ ]) {
        assertion = false;
        message = "${where}: openssh.authorizedKeys.keyFiles: ${toString (builtins.head badFiles)} has the line \"${short (builtins.head (badInFile (builtins.head badFiles)))}\", which ${what}.";
      })
    config.users.users);
}
