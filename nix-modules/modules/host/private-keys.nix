# A host module in every node's own evaluation (standalone and NixOS): a private key
# given as an authorized key is refused. Everything in a system is world-readable in
# the Nix store, so the key would be leaked to every user of every machine the system
# reaches, and a private key lets nobody log in anyway. The usual slip is
# `keyFiles = [ ./id_ed25519 ]` for `./id_ed25519.pub`. NixOS accepts both.
{ lib, config, options, ... }:
let
  cross = import ../cross/lib.nix { inherit lib; };
  # PEM and OpenSSH private keys: "-----BEGIN [RSA |EC |OPENSSH ]PRIVATE KEY-----".
  isPrivate = text: builtins.match "(.*[^[:alnum:]])?PRIVATE KEY-----.*" text != null;
  # Files written as Nix paths are read here (a string path may name a file of the
  # host, or need an impure evaluation: left alone).
  privateFiles = files: builtins.filter
    (f: builtins.isPath f && builtins.pathExists f && isPrivate (builtins.readFile f))
    files;
in
{
  config.assertions = lib.concatLists (lib.mapAttrsToList
    (key: user:
      let
        ak = user.openssh.authorizedKeys or { };
        files = privateFiles (ak.keyFiles or [ ]);
        where = cross.showEntry options.users.users key;
      in
      [
        {
          assertion = !(builtins.any isPrivate (ak.keys or [ ]));
          message = "${where}: openssh.authorizedKeys.keys holds a private key (\"PRIVATE KEY\"): in the Nix store every user could read it, and it lets nobody log in. Use the public key (the line of the .pub file) and treat this key as leaked.";
        }
        {
          assertion = files == [ ];
          message = "${where}: openssh.authorizedKeys.keyFiles names ${lib.concatMapStringsSep ", " toString files}, a private key: in the Nix store every user could read it, and it lets nobody log in. Name the .pub file instead.";
        }
      ])
    config.users.users);
}
