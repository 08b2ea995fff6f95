# users.users / users.groups as NixOS declares them (nixos/modules/config/users-groups.nix):
# the options the cross-host modules and ordinary deployments set, NixOS's defaults for
# normal users, the predeclared root and nobody, NixOS's assertions per user (name,
# system/normal, group) and its length limit on user and group names.
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

  groupOpts = { name, ... }: {
    options = {
      name = mkOption { type = types.passwdEntry types.str; default = name; description = "The group name."; };
      gid = mkOption { type = types.nullOr types.int; default = null; description = "The GID."; };
      members = mkOption { type = types.listOf (types.passwdEntry types.str); default = [ ]; description = "Member user names."; };
    };
  };

  xor = a: b: a && !b || b && !a;
in
{
  options.users = {
    mutableUsers = mkOption { type = types.bool; default = true; description = "Whether users may be changed outside the configuration."; };
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

    assertions = lib.concatLists (lib.mapAttrsToList
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
      ])
      (lib.filterAttrs (_: u: u.enable) config.users.users));
  };
}
