# users.users and users.groups. Activation creates missing groups and users (never
# deletes one), adds supplementary groups, and writes each user's authorized keys to
# /etc/ssh/authorized_keys.d/NAME (mode 0444).
#
# As on NixOS: `root` is declared (uid 0, group root, home /root), `home` and `shell` are
# passwd-entry paths, and every user must be exactly one of a normal user and a system
# user (a uid below 1000 counts as system, as in older NixOS releases: the strictest
# rule of the supported range; newer ones let a normal user have such a uid) with a
# primary group set. A user that only
# receives authorized keys is therefore an error here as it is on NixOS.
{ lib, config, options, ... }:
let
  inherit (lib) mkOption mkDefault mkIf types;
  cross = import ../../modules/cross/lib.nix { inherit lib; };
  where = cross.showEntry; # `nodes.web.configuration.users.users.alice' (in `FILE:LINE')
  freeform = types.lazyAttrsOf types.anything;

  userModule = { name, config, ... }: {
    freeformType = freeform;
    options = {
      name = mkOption {
        type = types.str;
        description = "The name of the user account. If undefined, the name of the attribute set is used.";
      };
      description = mkOption {
        type = types.passwdEntry types.str;
        default = "";
        example = "Alice Q. User";
        description = "A short description of the user account (the GECOS field).";
      };
      uid = mkOption {
        type = types.nullOr types.int;
        default = null;
        description = "The account UID. If null, useradd picks one.";
      };
      isSystemUser = mkOption {
        type = types.bool;
        default = false;
        description = "Whether this is a system user (created with `useradd -r`).";
      };
      isNormalUser = mkOption {
        type = types.bool;
        default = false;
        description = ''
          Whether this is a real user: sets `group` to `users`, `createHome` to true and
          `home` to /home/NAME by default.
        '';
      };
      group = mkOption {
        type = types.str;
        default = "";
        description = "The user's primary group. Empty: useradd's default (on Debian, a group named like the user).";
      };
      extraGroups = mkOption {
        # Missing groups are created: groupadd takes these names only.
        type = types.listOf (types.strMatching cross.accountNameRe // { description = "group name (letters, digits, `_', `.', `-'; not starting with `-')"; });
        default = [ ];
        description = "The user's auxiliary groups; missing groups are created.";
      };
      home = mkOption {
        type = types.passwdEntry types.path;
        default = "/var/empty";
        description = "The user's home directory.";
      };
      createHome = mkOption {
        type = types.bool;
        default = false;
        description = "Whether to create the home directory (mode 0700, owned by the user).";
      };
      shell = mkOption {
        type = types.nullOr (types.passwdEntry types.path);
        default = null;
        example = "/bin/bash";
        description = "The path to the user's shell. null: useradd's default.";
      };
      openssh.authorizedKeys = {
        keys = mkOption {
          type = types.listOf types.singleLineStr;
          default = [ ];
          example = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0EJ5Ze6bQAbFBrkScRWBwPS86GSe8pTpShx4xY3N9z alice@laptop" ];
          description = "A list of verbatim OpenSSH public keys added to the user's authorized keys.";
        };
        keyFiles = mkOption {
          type = types.listOf types.path;
          default = [ ];
          description = "A list of files, each containing OpenSSH public keys, added to the user's authorized keys.";
        };
      };
    };
    config = {
      name = mkDefault name;
      group = mkIf config.isNormalUser (mkDefault "users");
      home = mkIf config.isNormalUser (mkDefault "/home/${config.name}");
      createHome = mkIf config.isNormalUser (mkDefault true);
    };
  };

  groupModule = { name, ... }: {
    freeformType = freeform;
    options = {
      name = mkOption {
        type = types.str;
        default = name;
        description = "The name of the group. If undefined, the name of the attribute set is used.";
      };
      gid = mkOption {
        type = types.nullOr types.int;
        default = null;
        description = "The group GID. If null, groupadd picks one.";
      };
      members = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "The user names of the group members, added to the group on activation.";
      };
    };
  };
  xor = a: b: (a || b) && !(a && b);

  cfg = config.users;

  # Ids declared twice, one sentence each (null ids are not compared).
  duplicateIds = what: option: set: idOf:
    let
      byId = builtins.groupBy (n: toString (idOf set.${n})) (builtins.filter (n: idOf set.${n} != null) (builtins.attrNames set));
    in
    lib.mapAttrsToList (id: names: "${lib.concatMapStringsSep " and " (where option) names} have the same ${what} ${id}")
      (lib.filterAttrs (_: names: builtins.length names > 1) byId);
  duplicates = duplicateIds "uid" options.users.users cfg.users (u: u.uid) ++ duplicateIds "gid" options.users.groups cfg.groups (g: g.gid);

  # The groups NixOS declares itself (users-groups.nix, and systemd's journal group): a
  # user may have them as primary group without declaring them.
  nixosBaseGroups = [
    "root" "wheel" "disk" "kmem" "tty" "floppy" "uucp" "lp" "cdrom" "tape" "audio" "video"
    "dialout" "nogroup" "users" "nixbld" "utmp" "adm" "input" "kvm" "render" "sgx" "shadow"
    "clock" "systemd-journal"
  ];
  usersWithoutGroup = lib.filterAttrs
    (_: u: u.group != "" && !(cfg.groups ? ${u.group}) && !(builtins.elem u.group nixosBaseGroups))
    cfg.users;
in
{
  config.users.users.root = {
    uid = 0;
    description = "System administrator";
    home = "/root";
    group = "root";
  };
  # As NixOS declares it (ids.gids.root): a group given gid 0 is then reported as a
  # duplicate, as there. Every Linux host has it, so activation never creates it.
  config.users.groups.root.gid = 0;

  config.assertions = [
    {
      assertion = !cfg.enforceIdUniqueness || duplicates == [ ];
      message = "UIDs and GIDs must be unique! (as on NixOS): ${lib.concatStringsSep "; " duplicates}.";
    }
    {
      assertion = usersWithoutGroup == { };
      message = "The following users have a primary group that is undefined: ${lib.concatMapStringsSep ", " (n: "${n} (group `${usersWithoutGroup.${n}.group}', ${where options.users.users n})") (builtins.attrNames usersWithoutGroup)} (as on NixOS, where a user's group must be declared; a group that exists on the host already is left as it is). Declare it: ${lib.concatStringsSep " " (lib.unique (lib.mapAttrsToList (_: u: "users.groups.${u.group} = { };") usersWithoutGroup))}";
    }
  ] ++ lib.concatLists (lib.mapAttrsToList
    # Each message starts with where the user is declared; then NixOS's words.
    (key: user: [
      {
        # NixOS's rule (shadow's is_valid_name, without the trailing $).
        assertion = builtins.match "[a-zA-Z0-9_.][a-zA-Z0-9_.-]*" user.name != null;
        message = "${where options.users.users key}: The username \"${user.name}\" is not valid, it does not match the regex \"[a-zA-Z0-9_.][a-zA-Z0-9_.-]*\" (as on NixOS).";
      }
      {
        # NixOS's limit (an abort there; useradd's own is 32).
        assertion = builtins.stringLength user.name < 32;
        message = "${where options.users.users key}: Username '${user.name}' is longer than 31 characters, which is not allowed (as on NixOS).";
      }
      {
        assertion = builtins.stringLength user.group < 32;
        message = "${where options.users.users key}: Group name '${user.group}' is longer than 31 characters, which is not allowed (users.users.${user.name}.group, as on NixOS).";
      }
      {
        assertion = xor (user.isSystemUser || (user.uid != null && user.uid < 1000)) user.isNormalUser;
        message = "${where options.users.users key}: Exactly one of users.users.${user.name}.isSystemUser and users.users.${user.name}.isNormalUser must be set (as on NixOS; a uid below 1000 counts as a system user).";
      }
      {
        assertion = user.group != "";
        message = "${where options.users.users key}: users.users.${user.name}.group is unset (as on NixOS): set it, e.g. users.users.${user.name}.group = \"users\";";
      }
    ])
    config.users.users);

  options.users = {
    users = mkOption {
      type = types.attrsOf (types.submodule userModule);
      default = { };
      example = { alice = { isNormalUser = true; extraGroups = [ "wheel" ]; openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAA... alice@laptop" ]; }; };
      description = "Additional user accounts to be created automatically by the system.";
    };
    enforceIdUniqueness = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to require that no two users/groups share the same uid/gid.";
    };
    groups = mkOption {
      type = types.attrsOf (types.submodule groupModule);
      default = { };
      example = { students.gid = 1001; };
      description = "Additional groups to be created automatically by the system.";
    };
  };
}
