# A host module in every node's own evaluation (standalone and NixOS): a user's uid or a
# group's gid must be one the system can hold, 0 to 4294967294 (4294967295 is (uid_t)-1,
# "no id", which useradd and groupadd refuse). NixOS types both as any integer, so a
# negative or oversized id passes its evaluation and breaks only at activation.
{ lib, config, options, ... }:
let
  cross = import ../cross/lib.nix { inherit lib; };
  maxId = 4294967294;
  bad = id: builtins.isInt id && (id < 0 || id > maxId);
  problems = kind: option: set: lib.mapAttrsToList
    (name: x: {
      assertion = false;
      message = "${cross.showEntry option name}: ${kind} = ${toString x.${kind}}: a ${kind} is 0 to ${toString maxId} (${toString (maxId + 1)} means none); standalone activation would fail at ${if kind == "uid" then "useradd" else "groupadd"}, NixOS would write it to /etc/${if kind == "uid" then "passwd" else "group"}.";
    })
    (lib.filterAttrs (_: x: bad (x.${kind} or null)) set);
in
{
  config.assertions = problems "uid" options.users.users config.users.users
    ++ problems "gid" options.users.groups config.users.groups;
}
