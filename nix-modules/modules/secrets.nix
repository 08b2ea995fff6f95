# Secrets: `nodes.<node>.secrets.<name>`, files that nixmesh puts on a host at deploy
# time without their contents ever entering the Nix store, the plan or a log.
#
#   nodes.web.secrets.db-password = {
#     command = [ "pass" "show" "web/db" ];       # stdout is the secret (run on the deployer)
#     owner = "app";
#     uploadAt = "post-activation";              # `app' is created by the activation
#     restartOnChange = [ "app" ];               # standalone: activation scripts; NixOS: units
#   };
#   nodes.gateway.secrets.wg-backbone = {
#     file = "/home/me/keys/gateway-backbone.key"; # a string: never copied to the store
#     path = "/var/lib/nixmesh/wireguard/backbone.key";
#   };
#
# Only the *source* (a command to run or a file to read on the deploying machine) and the
# target's metadata are declared; the Go side (package secrets) runs the source, keeps the
# bytes in memory and streams them over SSH into place. Other options point at a secret by
# its path on the host: `config.nodes.web.secrets.db-password.path`.
#
# Emitted for the Go side (docs/internals.md) as
#   plan.network.secrets.<node>.<name> = {
#     name; source = { kind = "command"; command = [ ... ]; } | { kind = "file"; file = "/..."; };
#     path; owner; group; mode; uploadAt; restartOnChange = [ ... ];
#   }
# Every node appears (with `{ }` when it has no secrets).
{ config, lib, nixmesh, ... }:
let
  cross = import ./cross/lib.nix { inherit lib; };
  inherit (lib) mkOption types;

  storePrefix = builtins.storeDir + "/";
  inStore = s: builtins.substring 0 (builtins.stringLength storePrefix) s == storePrefix;
  isAbsoluteString = x: builtins.isString x && builtins.match "/.*" x != null;

  # A path on the host, outside the Nix store.
  # Not a directory's (trailing `/'), and not in the kernel's file systems, where no
  # file can be written.
  kernelFs = x: builtins.match "/(proc|sys|dev)(/.*)?" x != null;
  # Without `.', `..' or empty components: the checks below (the store, kernel file
  # systems, another secret's directory, managed /etc files) read the path as written,
  # and "/var/lib/../../etc/shadow" is /etc/shadow.
  normalPath = x: builtins.match "(/[^/]+)+" x != null
    && builtins.match ".*/[.][.]?(/.*)?" x == null;
  hostPathType = types.strMatching "/.*" // {
    description = "absolute path of a file on the host, outside the Nix store and /proc, /sys, /dev (no trailing `/', no `.', `..' or empty components, no control characters)";
    check = x: isAbsoluteString x && cross.noControlChars x && normalPath x && !inStore x && !kernelFs x;
  };

  # Where a secret is read on the deploying machine. A Nix path value (./key) is accepted
  # by the type only so that `apply` can reject it with a message that says what to do:
  # a Nix path that is interpolated or serialised is copied into the world-readable store.
  sourceFileType = types.mkOptionType {
    name = "secretSourceFile";
    description = "absolute path on the deploying machine, as a string (\"/home/me/key\", not ./key), without control characters";
    check = x: builtins.isPath x || (isAbsoluteString x && cross.noControlChars x && !inStore x);
    merge = loc: defs:
      let values = lib.unique (map (d: d.value) defs); in
      if builtins.length values == 1 then builtins.head values
      else throw "The option `${lib.showOption loc}' has conflicting definitions, in ${lib.concatStringsSep ", " (map (d: "`${d.file}'") defs)}.";
  };

  modeType = types.strMatching "0?[0-7]{3}" // {
    description = "file mode in octal, as a string (e.g. \"0400\")";
  };

  # Users and groups by name or number.
  principalType = types.strMatching "[A-Za-z0-9_][A-Za-z0-9_.-]*[$]?" // {
    description = "user or group name (or numeric id)";
  };

  nameRe = "[A-Za-z0-9_][A-Za-z0-9_.-]*";
  nameType = types.strMatching nameRe // {
    description = "secret name (letters, digits, `_', `-' and `.', not starting with `.' or `-')";
  };

  filesOption = what: mkOption {
    type = types.listOf types.str;
    internal = true;
    readOnly = true;
    description = "Where the secret's ${what} is set, for messages.";
  };

  secretModule = node: { name, config, options, ... }: {
    options = {
      name = mkOption {
        # Checked by an assertion (secretAssertions), so that a bad attribute name is
        # reported where the secret is defined, not at this default.
        type = types.str // { inherit (nameType) description; };
        default = name;
        defaultText = lib.literalExpression "<name>";
        description = "The secret's name (the attribute name), used in messages and the default `path`.";
      };

      command = mkOption {
        type = types.nullOr (types.nonEmptyListOf types.str);
        default = null;
        example = [ "pass" "show" "hosts/web/db-password" ];
        description = ''
          A command run on the deploying machine, without a shell and with stdin closed;
          its standard output is the secret (byte for byte, trailing newline included). Any
          CLI serves: `pass`, `vault kv get -field=...`, `sops -d`, `age -d -i ...`, `cat`.
          A command that fails or prints nothing fails the deploy of this node before
          anything on it is changed. Set exactly one of `command` and `file`.
        '';
      };

      file = mkOption {
        type = types.nullOr sourceFileType;
        default = null;
        example = "/home/me/secrets/web-db-password";
        apply = v:
          if builtins.isPath v then
            throw ''
              The option `${lib.showOption [ "nodes" node "secrets" name "file" ]}'${cross.inFiles (cross.definitionFiles options.file)} is the Nix path ${toString v}: a path value is copied into the world-readable Nix store as soon as it is used. Write it as a string instead: file = "${toString v}"; (or, relative to this file: file = toString ./<file>;)''
          else v;
        description = ''
          A file on the deploying machine whose contents are the secret: an absolute path
          as a string. A Nix path (`./key`) is rejected, since using one copies the file
          into the Nix store; write `toString ./key` or the absolute path. Set exactly one
          of `command` and `file`.
        '';
      };

      path = mkOption {
        type = hostPathType;
        default = "/var/lib/nixmesh/secrets/${name}";
        defaultText = lib.literalExpression "\"/var/lib/nixmesh/secrets/<name>\"";
        example = "/var/lib/nixmesh/wireguard/backbone.key";
        description = ''
          Where the secret is written on the host. Options that take a key file can point
          here: `config.nodes.<node>.secrets.<name>.path`. A missing directory is created
          (the last component mode 0751, its parents 0755).
        '';
      };

      owner = mkOption {
        type = principalType;
        default = "root";
        example = "app";
        description = "The file's owner on the host.";
      };

      group = mkOption {
        type = principalType;
        default = "root";
        example = "app";
        description = "The file's group on the host.";
      };

      mode = mkOption {
        type = modeType;
        default = "0400";
        example = "0440";
        description = "The file's permissions on the host.";
      };

      uploadAt = mkOption {
        type = types.enum [ "pre-activation" "post-activation" ];
        default = "pre-activation";
        description = ''
          When the secret is written: "pre-activation" (after the closure is copied,
          before the new system is activated; for files the activation itself needs, e.g.
          a WireGuard private key) or "post-activation" (after the new system is active,
          e.g. when `owner` is a user the new system creates). Before anything is written,
          all of the node's secrets are fetched, so a failing source changes nothing.
        '';
      };

      restartOnChange = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "app" ];
        description = ''
          What to re-run when the secret's file on the host changed (content, owner, group
          or mode). Standalone hosts: names of `system.activationScripts`, run again (in
          their dependency order) after the secret is written, or after the activation for
          a pre-activation secret. NixOS: systemd units, restarted with `systemctl restart`.
        '';
      };
      # Where the secret's fields are set, for messages (computed below).
      pathFiles = filesOption "path";
      commandFiles = filesOption "command";
      restartFiles = filesOption "restartOnChange";
      nameFiles = filesOption "name (or, by default, where the secret is defined)";
      modeFiles = filesOption "mode";
      groupFiles = filesOption "group";
      ownerFiles = filesOption "owner";
    };
    config.pathFiles = cross.knownFiles (if cross.definitionFiles options.path != [ ] then cross.definitionFiles options.path else cross.definitionFiles options.name ++ options.command.files ++ options.file.files);
    config.restartFiles = cross.knownFiles (cross.definitionFiles options.restartOnChange);
    config.commandFiles = cross.knownFiles (cross.definitionFiles options.command);
    config.nameFiles = if cross.definitionFiles options.name != [ ] then cross.knownFiles (cross.definitionFiles options.name) else cross.filesOf (removeAttrs options [ "pathFiles" "restartFiles" "nameFiles" "commandFiles" "modeFiles" "groupFiles" "ownerFiles" ]);
    config.modeFiles = cross.knownFiles (cross.definitionFiles options.mode);
    config.groupFiles = cross.knownFiles (cross.definitionFiles options.group);
    config.ownerFiles = cross.knownFiles (cross.definitionFiles options.owner);
  };

  # The plan entry of one secret: its source and metadata, never a value.
  planSecret = s: {
    inherit (s) name path owner group mode uploadAt restartOnChange;
    source =
      if s.command != null then { kind = "command"; inherit (s) command; }
      else { kind = "file"; inherit (s) file; };
  };

  # Problems of one node's secrets, as node assertions.
  secretAssertions = node: nodeCfg:
    let
      secrets = nodeCfg.secrets;
      names = builtins.attrNames secrets;
      scripts = nodeCfg.config.system.activationScripts or { };
      byPath = builtins.groupBy (n: secrets.${n}.path) names;
      # Files the host's configuration manages in /etc: a secret there would be
      # overwritten by the next activation, or overwrite what it installed.
      etcFiles = lib.concatMap
        (e: lib.optional (e.enable or true) "/etc/${e.target or ""}")
        (builtins.attrValues (nodeCfg.config.environment.etc or { }));
      # The account files the users activation writes (standalone and NixOS), and the
      # authorized keys files it writes per declared user.
      accountFiles = map (f: "/etc/${f}") [ "passwd" "shadow" "group" "gshadow" "subuid" "subgid" ];
      keyFiles = map (u: "/etc/ssh/authorized_keys.d/${u}") (builtins.attrNames (nodeCfg.config.users.users or { }));
      # nixmesh's own state on the host.
      ownState = [ "/var/lib/nixmesh/switch" "/var/lib/nixmesh/managed" "/var/lib/nixmesh/nsd" "/nix" ];
      # Directories every Linux host has (and those of the managed /etc files): a secret
      # is a file, and the upload cannot put one in a directory's place.
      systemDirs = [ "/etc" "/etc/ssh" "/etc/ssh/authorized_keys.d" "/var" "/var/lib" "/var/log" "/var/cache" "/usr" "/bin" "/sbin" "/lib" "/lib64" "/home" "/root" "/tmp" "/run" "/boot" "/opt" "/srv" "/mnt" "/media" "/var/lib/nixmesh" "/var/lib/nixmesh/secrets" ];
      clashes = path:
        lib.optional (builtins.elem path systemDirs || builtins.any (f: lib.hasPrefix "${path}/" f) etcFiles)
          "${path} is a directory on the host${lib.optionalString (!builtins.elem path systemDirs) " (it holds files of environment.etc)"}, and a secret is a file: name a file inside it"
        ++ lib.optional (builtins.elem path etcFiles) "the host's configuration manages ${path} (environment.etc): the next activation would replace the secret, or the secret what it installed"
        ++ lib.optional (builtins.elem path accountFiles) "${path} holds the host's accounts, written by every activation from `users.users' and `users.groups': the secret would replace them all (and be replaced)"
        ++ lib.optional (builtins.elem path keyFiles) "${path} holds the authorized keys every activation writes from `users.users.${baseNameOf path}.openssh.authorizedKeys'"
        ++ lib.optional (path == "/var/lib/nixmesh/current-system" || builtins.any (d: path == d || lib.hasPrefix "${d}/" path) ownState)
          "${path} is nixmesh's own state on the host (switch records, managed files, name server data, the store): the secret would corrupt it";
    in
    lib.concatMap
      (n:
        let s = secrets.${n}; opt = "`${lib.showOption [ "nodes" node "secrets" n ]}"; in
        # The command runs without a shell: a first word with spaces and no slash is a
        # whole command line written as one word ("pass show x | head -1").
        lib.optional (s.command != null && builtins.match "[^/]*[[:space:]][^/]*" (builtins.head s.command) != null)
          { assertion = false; message = "${opt}.command'${cross.inFiles s.commandFiles} starts with ${builtins.toJSON (builtins.head s.command)}, run as one program's name: the command runs without a shell. Give its words as the list's elements ([ \"pass\" \"show\" \"db\" ]), or run a shell: [ \"sh\" \"-c\" \"pass show db | head -1\" ]."; }
        # An empty program name runs nothing (the fetch fails at deploy time).
        ++ lib.optional (s.command != null && builtins.match "[[:space:]]*" (builtins.head s.command) != null)
          { assertion = false; message = "${opt}.command'${cross.inFiles s.commandFiles} starts with an empty word, where the program to run goes: give it first ([ \"pass\" \"show\" \"db\" ])."; }
        ++ lib.optional (builtins.match nameRe s.name == null)
          { assertion = false; message = "${opt}.name'${cross.inFiles s.nameFiles}: `${s.name}' is not a secret name: letters, digits, `_', `-' and `.', not starting with `.' or `-'. Rename the secret, or set its `name'."; }
        ++ lib.optional (s.command == null && s.file == null)
          { assertion = false; message = "${opt}'${cross.inFiles s.pathFiles} has no source: set `command' (e.g. [ \"pass\" \"show\" \"${n}\" ]) or `file' (an absolute path, as a string)."; }
        ++ lib.optional (s.command != null && s.file != null)
          { assertion = false; message = "${opt}'${cross.inFiles s.pathFiles} has both `command' and `file': keep one."; }
        ++ lib.optionals (config.nodes.${node}.kind == "standalone") (map
          (r: {
            assertion = false;
            message = "${opt}.restartOnChange'${cross.inFiles s.restartFiles} names `${r}', which is not one of the node's activation scripts (system.activationScripts: ${if scripts == { } then "none" else lib.concatStringsSep ", " (builtins.attrNames scripts)}). On standalone hosts restartOnChange re-runs activation scripts.";
          })
          (builtins.filter (r: !(scripts ? ${r})) s.restartOnChange))
        ++ map (why: { assertion = false; message = "${opt}.path'${cross.inFiles s.pathFiles}: ${why}. Choose another path (the default is /var/lib/nixmesh/secrets/${n})."; })
          (clashes s.path))
      names
    # A secret inside another's path: that one would have to be a file and a directory.
    ++ lib.concatMap
      (n:
        let s = secrets.${n}; inner = builtins.filter (o: lib.hasPrefix "${s.path}/" secrets.${o}.path) names; in
        map (o: {
          assertion = false;
          message = "`${lib.showOption [ "nodes" node "secrets" o "path" ]}'${cross.inFiles secrets.${o}.pathFiles}: is ${secrets.${o}.path}, inside ${s.path}, the file of `${lib.showOption [ "nodes" node "secrets" n ]}': a path cannot be a file and a directory. Give one of them another path.";
        }) inner)
      names
    ++ lib.concatLists (lib.mapAttrsToList
      (p: ns: lib.optional (builtins.length ns > 1) {
        assertion = false;
        # Reported at the second secret's path, as Nix reports a repeated attribute.
        message = let second = builtins.elemAt ns 1; in
          "`${lib.showOption [ "nodes" node "secrets" second "path" ]}'${cross.inFiles secrets.${second}.pathFiles}: is ${p}, which `${lib.showOption [ "nodes" node "secrets" (builtins.head ns) ]}' also writes${lib.optionalString (builtins.length ns > 2) " (and ${lib.concatStringsSep ", " (map (n: "`${n}'") (lib.drop 2 ns))})"}: one would overwrite the other on the host. Give each secret its own `path'.";
      })
      byPath);
  isId = p: builtins.match "[0-9]+" p != null;
  # The names of the enabled entries of users.users or users.groups.
  declaredNames = entries: lib.mapAttrsToList (k: e: e.name or k) (lib.filterAttrs (_: e: e.enable or true) entries);
in
{
  options.nodes = mkOption {
    type = types.attrsOf (types.submodule ({ name, config, ... }: {
      options.secrets = mkOption {
        type = types.attrsOf (types.submodule (secretModule name));
        default = { };
        example = lib.literalExpression ''
          {
            db-password = { command = [ "pass" "show" "web/db" ]; owner = "app"; uploadAt = "post-activation"; };
            tls-key = { file = "/home/me/tls/web.key"; path = "/etc/ssl/private/web.key"; };
          }
        '';
        description = ''
          Files put on this node at deploy time from a command or a file on the deploying
          machine, never through the Nix store. See `nixmesh secrets`.
        '';
      };
      config.assertions = secretAssertions name config;
    }));
  };

  # A secret every user of its host can read (the mode's last digit has the read bit):
  # perhaps meant, more often a copied mode; said, not refused.
  config.warnings = lib.concatLists (lib.mapAttrsToList
    (node: n: lib.concatLists (lib.mapAttrsToList
      (name: sec: lib.optional (builtins.elem (lib.last (lib.stringToCharacters sec.mode)) [ "4" "5" "6" "7" ])
        "`${lib.showOption [ "nodes" node "secrets" name "mode" ]}'${cross.inFiles sec.modeFiles} is ${sec.mode}: every user of ${node} can read this secret at ${sec.path}. Use 0400 or 0440 (with `group') unless it is meant to be public."
        # nixmesh uploads secrets when it deploys, not at boot: a secret on a file system
        # that boots empty is gone after a reboot.
        # A group given the file whose mode gives the group nothing (0400, the default):
        # its members still cannot read it.
        ++ lib.optional (!builtins.elem sec.group [ "root" "0" ] && builtins.elem (builtins.elemAt (lib.stringToCharacters sec.mode) (builtins.stringLength sec.mode - 2)) [ "0" "1" ])
          "`${lib.showOption [ "nodes" node "secrets" name "group" ]}'${cross.inFiles sec.groupFiles} is ${sec.group}, but the mode ${sec.mode} gives the group no read access: its members cannot read the secret. Use mode = \"0440\" for that."
        # On a NixOS host with users.mutableUsers = false, the users and groups are the
        # declared ones and no others: an owner or group declared nowhere cannot exist
        # there, and writing the secret would fail.
        ++ lib.optionals (n.kind == "nixos" && !(n.config.users.mutableUsers or true)) (
          lib.optional (!isId sec.owner && !builtins.elem sec.owner (declaredNames (n.config.users.users or { })))
            "`${lib.showOption [ "nodes" node "secrets" name "owner" ]}'${cross.inFiles sec.ownerFiles} is ${sec.owner}, a user ${node}'s configuration does not declare, and with users.mutableUsers = false its host has no other users: writing the secret would fail. Declare the user (users.users.${sec.owner}), or name one that is declared."
          ++ lib.optional (!isId sec.group && !builtins.elem sec.group (declaredNames (n.config.users.groups or { })))
            "`${lib.showOption [ "nodes" node "secrets" name "group" ]}'${cross.inFiles sec.groupFiles} is ${sec.group}, a group ${node}'s configuration does not declare, and with users.mutableUsers = false its host has no other groups: writing the secret would fail. Declare the group (users.groups.${sec.group}), or name one that is declared.")
        ++ lib.optional (lib.hasPrefix "/run/" sec.path || lib.hasPrefix "/tmp/" sec.path)
          "`${lib.showOption [ "nodes" node "secrets" name "path" ]}'${cross.inFiles sec.pathFiles} is ${sec.path}, on a file system that most hosts empty at boot, and nixmesh uploads secrets when it deploys, not when the host boots: after a reboot the secret is gone until the next deploy. Use a path on disk (the default is /var/lib/nixmesh/secrets/${name}).")
      n.secrets))
    config.nodes);

  config.planExtra.network.secrets = builtins.mapAttrs
    (_: node: builtins.mapAttrs (_: planSecret) node.secrets)
    config.nodes;
}
