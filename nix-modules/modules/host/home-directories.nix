# A host module in every node's own evaluation (standalone and NixOS): a user whose
# `home` is a directory the system itself uses, with `createHome`, is refused. Activation
# sets a created home to mode 0700 (NixOS's also makes it the user's own), so
# `home = "/var/lib"` meant as "/var/lib/svc" would lock every other user and service
# out of /var/lib. NixOS accepts it.
{ lib, config, options, ... }:
let
  cross = import ../cross/lib.nix { inherit lib; };
  shared = [ "/" "/bin" "/boot" "/dev" "/etc" "/home" "/lib" "/lib64" "/media" "/mnt" "/nix"
    "/nix/store" "/nix/var" "/opt" "/proc" "/run" "/sbin" "/srv" "/sys" "/tmp" "/usr"
    "/usr/bin" "/usr/lib" "/usr/local" "/usr/share" "/var" "/var/cache" "/var/empty"
    "/var/lib" "/var/log" "/var/run" "/var/spool" "/var/tmp" ];
  # "/etc/" and "/etc" are one directory.
  trimmed = home: let m = builtins.match "(.*[^/])/*" home; in if m == null then "/" else builtins.head m;
  # root's own home is /root; nobody's /var/empty is never created (createHome false).
  wrong = name: u: u.createHome or false && builtins.isString (u.home or null)
    && builtins.elem (trimmed u.home) (shared ++ lib.optional (name != "root") "/root");
in
{
  config.assertions = lib.mapAttrsToList
    (name: u: {
      assertion = false;
      message = "${cross.showEntry options.users.users name}: home = \"${u.home}\" with createHome: activation would set ${trimmed u.home} to mode 0700 (NixOS's also makes it ${u.name or name}'s own), locking every other user and service out of it. Give ${u.name or name} a directory of its own (e.g. /var/lib/${u.name or name}), or set createHome = false.";
    })
    (lib.filterAttrs wrong config.users.users);
}
