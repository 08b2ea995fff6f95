# users.users / users.groups as NixOS declares them (nixos/modules/config/users-groups.nix):
# the options the cross-host modules and ordinary deployments set, NixOS's defaults for
# normal users, the predeclared root and nobody, a group's members from the users'
# extraGroups, NixOS's assertions (per user: name, system/normal, group set, a normal
# user's uid, the password hash; overall: unique uids and gids, primary groups declared)
# and its length limit on user and group names. As on NixOS, the `users' activation
# snippet carries every enabled user's and every group's entry (the JSON NixOS's
# update-users-groups.pl reads), so the system's evaluation reads, and type-checks, them.
{ config, lib, ... }:
let
  inherit (lib) mkOption mkDefault mkIf types;

  userOpts = { name, config, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; description = "Whether the account is created."; };
      # NixOS checks both names' length when they are read (an abort, uncatchable).
      name = mkOption {
        type = types.passwdEntry types.str;
        apply = n: if builtins.stringLength n < 32 then n else abort "Username '${n}' is longer than 31 characters which is not allowed!";
        description = "The account name.";
      };
      description = mkOption { type = types.passwdEntry types.str; default = ""; description = "The GECOS field."; };
      uid = mkOption { type = types.nullOr types.int; default = null; description = "The account UID."; };
      isSystemUser = mkOption { type = types.bool; default = false; description = "A system user."; };
      isNormalUser = mkOption { type = types.bool; default = false; description = "A real user."; };
      group = mkOption {
        type = types.str;
        default = "";
        apply = g: if builtins.stringLength g < 32 then g else abort "Group name '${g}' is longer than 31 characters which is not allowed!";
        description = "The primary group.";
      };
      extraGroups = mkOption { type = types.listOf types.str; default = [ ]; description = "Auxiliary groups."; };
      home = mkOption { type = types.passwdEntry types.path; default = "/var/empty"; description = "The home directory."; };
      homeMode = mkOption { type = types.strMatching "[0-7]{1,5}"; default = "700"; description = "The home directory's mode."; };
      createHome = mkOption { type = types.bool; default = false; description = "Whether to create the home directory."; };
      useDefaultShell = mkOption { type = types.bool; default = false; description = "Use users.defaultUserShell."; };
      shell = mkOption {
        type = types.nullOr (types.either types.package (types.passwdEntry types.path));
        default = "/run/current-system/sw/bin/nologin";
        description = "The login shell: a package or a path.";
      };
      hashedPassword = mkOption { type = types.nullOr (types.passwdEntry types.str); default = null; description = "The password hash."; };
      hashedPasswordFile = mkOption { type = types.nullOr types.str; default = null; description = "A file holding the password hash."; };
      openssh.authorizedKeys = {
        keys = mkOption { type = types.listOf types.singleLineStr; default = [ ]; description = "Authorized public keys."; };
        keyFiles = mkOption { type = types.listOf types.path; default = [ ]; description = "Files of authorized public keys."; };
      };
    };
    config = lib.mkMerge [
      { name = mkDefault name; }
      (mkIf config.isNormalUser {
        group = mkDefault "users";
        createHome = mkDefault true;
        home = mkDefault "/home/${config.name}";
        homeMode = mkDefault "700";
        useDefaultShell = mkDefault true;
        isSystemUser = mkDefault false;
      })
    ];
  };

  groupOpts = { name, config, ... }: {
    options = {
      name = mkOption { type = types.passwdEntry types.str; default = name; description = "The group name."; };
      gid = mkOption { type = types.nullOr types.int; default = null; description = "The GID."; };
      members = mkOption { type = types.listOf (types.passwdEntry types.str); default = [ ]; description = "Member user names."; };
    };
    # Every enabled user that lists the group among its extraGroups is a member.
    config.members = lib.mapAttrsToList (_: u: u.name)
      (lib.filterAttrs (_: u: u.enable && builtins.elem config.name u.extraGroups) cfg.users);
  };

  cfg = config.users;
  # Whether no two of the entries share a non-null id (attribute idAttr).
  uniqueIds = entries: idAttr:
    let ids = map (e: toString e.${idAttr}) (builtins.filter (e: e.${idAttr} != null) entries); in
    builtins.length (lib.unique ids) == builtins.length ids;
  groupNames = lib.mapAttrsToList (_: g: g.name) cfg.groups;
  withoutGroup = lib.filterAttrs (_: u: u.group != "" && !(builtins.elem u.group groupNames)) cfg.users;
  shellPath = s: if s == null || builtins.isString s then s else "/run/current-system/sw${s.shellPath or "/bin/sh"}";
  spec = builtins.toJSON {
    inherit (cfg) mutableUsers;
    users = lib.mapAttrsToList
      (_: u: {
        inherit (u) name uid group description home homeMode createHome isSystemUser hashedPassword hashedPasswordFile;
        shell = shellPath u.shell;
      })
      (lib.filterAttrs (_: u: u.enable) cfg.users);
    groups = builtins.attrValues cfg.groups;
  };

  xor = a: b: a && !b || b && !a;
in
{
  options.users = {
    mutableUsers = mkOption { type = types.bool; default = true; description = "Whether users may be changed outside the configuration."; };
    enforceIdUniqueness = mkOption { type = types.bool; default = true; description = "Whether no two users (groups) may share a uid (gid)."; };
    users = mkOption { type = types.attrsOf (types.submodule userOpts); default = { }; description = "User accounts."; };
    groups = mkOption { type = types.attrsOf (types.submodule groupOpts); default = { }; description = "Groups."; };
  };

  config = {
    users.users.root = {
      uid = 0;
      description = "System administrator";
      home = "/root";
      shell = mkDefault "/run/current-system/sw/bin/bash";
      group = "root";
    };
    users.users.nobody = {
      uid = 65534;
      isSystemUser = true;
      description = "Unprivileged account (don't use!)";
      group = "nogroup";
    };
    users.groups = { root.gid = 0; wheel.gid = 1; users.gid = 100; nogroup.gid = 65534; };

    system.activationScripts.users = {
      supportsDryActivation = true;
      text = "# update-users-groups.pl reads:\n# ${spec}\n";
    };

    assertions = [
      {
        assertion = !cfg.enforceIdUniqueness || (uniqueIds (builtins.attrValues cfg.users) "uid" && uniqueIds (builtins.attrValues cfg.groups) "gid");
        message = "UIDs and GIDs must be unique!";
      }
      {
        assertion = withoutGroup == { };
        message = "The following users have a primary group that is undefined: ${lib.concatStringsSep " " (builtins.attrNames withoutGroup)}\nHint: Add this to your NixOS configuration:\n  ${lib.concatMapStringsSep "\n  " (g: "users.groups.${g} = {};") (lib.unique (lib.mapAttrsToList (_: u: u.group) withoutGroup))}\n";
      }
    ] ++ lib.concatLists (lib.mapAttrsToList
      (_: user: [
        {
          # shadow's is_valid_name without the trailing $; reading the name also runs its
          # length check.
          assertion = builtins.match "[a-zA-Z0-9_.][a-zA-Z0-9_.-]*" user.name != null;
          message = "The username \"${user.name}\" is not valid, it does not match the regex \"[a-zA-Z0-9_.][a-zA-Z0-9_.-]*\".";
        }
        {
          assertion = xor (user.isSystemUser || (user.uid != null && user.uid < 1000 && !user.isNormalUser)) user.isNormalUser;
          message = "Exactly one of users.users.${user.name}.isSystemUser and users.users.${user.name}.isNormalUser must be set.";
        }
        {
          assertion = user.group != "";
          message = "users.users.${user.name}.group is unset. This used to default to nogroup, but this is unsafe.";
        }
        {
          assertion = user.hashedPassword == null || builtins.match ".*:.*" user.hashedPassword == null;
          message = "The password hash of user \"${user.name}\" contains a \":\" character.";
        }
        {
          assertion = user.isNormalUser && user.uid != null -> user.uid >= 1000;
          message = "A user cannot have a users.users.${user.name}.uid set below 1000 and set users.users.${user.name}.isNormalUser.";
        }
      ])
      (lib.filterAttrs (_: u: u.enable) config.users.users));
  };
}
