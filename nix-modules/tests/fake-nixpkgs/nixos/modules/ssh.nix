# programs.ssh.knownHosts as NixOS declares it (nixos/modules/programs/ssh.nix): hostNames
# defaults to the attribute name plus extraHostNames and REPLACES that default when set;
# exactly one of publicKey and publicKeyFile (NixOS's assertion). Also the
# services.openssh options that decide who can log in where (services/networking/ssh/
# sshd.nix): enable, ports, openFirewall (which opens the ports in the firewall),
# listenAddresses, startWhenNeeded, extraConfig (NixOS's own Port, ListenAddress and
# AuthorizedKeysFile lines first, at mkOrder 0), where authorized keys are read from
# (authorizedKeysInHomedir, authorizedKeysFiles, authorizedKeysCommand) and settings, whose PermitRootLogin, PasswordAuthentication,
# AllowUsers, DenyUsers, AllowGroups and DenyGroups are declared as NixOS declares them
# (null leaves sshd's own default), the rest free-form key-value settings; with sshd
# enabled, its privilege separation user and group.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  knownHostOpts = { name, config, ... }: {
    options = {
      certAuthority = mkOption { type = types.bool; default = false; description = "A certificate authority."; };
      hostNames = mkOption {
        type = types.listOf types.str;
        default = [ name ] ++ config.extraHostNames;
        description = "Host names and addresses of the host.";
      };
      extraHostNames = mkOption { type = types.listOf types.str; default = [ ]; description = "More names, added to the default hostNames."; };
      publicKey = mkOption { type = types.nullOr types.str; default = null; description = "The host's public key."; };
      publicKeyFile = mkOption { type = types.nullOr types.path; default = null; description = "A file with the host's public key."; };
    };
  };
in
{
  options.programs.ssh.knownHosts = mkOption {
    type = types.attrsOf (types.submodule knownHostOpts);
    default = { };
    description = "System-wide known hosts.";
  };
  options.services.openssh = {
    enable = mkOption { type = types.bool; default = false; description = "Whether to run sshd."; };
    ports = mkOption { type = types.listOf types.port; default = [ 22 ]; description = "sshd's ports."; };
    openFirewall = mkOption { type = types.bool; default = true; description = "Whether to open sshd's ports in the firewall."; };
    authorizedKeysInHomedir = mkOption { type = types.bool; default = true; description = "Whether sshd reads ~/.ssh/authorized_keys (beside /etc/ssh/authorized_keys.d/%u, which users.users.<name>.openssh.authorizedKeys fills)."; };
    authorizedKeysFiles = mkOption { type = types.listOf types.str; default = [ ]; description = "Files sshd reads authorized keys from."; };
    authorizedKeysCommand = mkOption { type = types.str; default = "none"; description = "A program that prints a user's authorized keys."; };
    extraConfig = mkOption { type = types.lines; default = ""; description = "Verbatim sshd_config text, after the settings."; };
    startWhenNeeded = mkOption { type = types.bool; default = false; description = "Whether sshd is started per connection by a socket."; };
    listenAddresses = mkOption {
      type = types.listOf (types.submodule {
        options = {
          addr = mkOption { type = types.nullOr types.str; default = null; description = "The address to listen on."; };
          port = mkOption { type = types.nullOr types.port; default = null; description = "The port (null: every one of `ports')."; };
        };
      });
      default = [ ];
      description = "Addresses (and ports) sshd listens on; empty: every address.";
    };
    settings = mkOption {
      type = types.submodule {
        freeformType = types.attrsOf (types.nullOr (types.oneOf [ types.bool types.int types.str (types.listOf types.str) ]));
        options =
          let users = what: mkOption { type = types.nullOr (types.listOf types.str); default = null; description = "sshd's ${what}."; };
          in
          {
            PermitRootLogin = mkOption {
              type = types.nullOr (types.enum [ "yes" "without-password" "prohibit-password" "forced-commands-only" "no" ]);
              default = "prohibit-password";
              description = "Whether root can log in.";
            };
            PasswordAuthentication = mkOption { type = types.nullOr types.bool; default = true; description = "Whether passwords are accepted."; };
            AllowUsers = users "AllowUsers";
            DenyUsers = users "DenyUsers";
            AllowGroups = users "AllowGroups";
            DenyGroups = users "DenyGroups";
          };
      };
      default = { };
      description = "sshd_config settings.";
    };
  };

  config.users = lib.mkIf config.services.openssh.enable {
    users.sshd = { isSystemUser = true; group = "sshd"; description = "SSH privilege separation user"; };
    groups.sshd = { };
  };
  config.services.openssh.authorizedKeysFiles = lib.mkIf config.services.openssh.enable
    (lib.optional config.services.openssh.authorizedKeysInHomedir "%h/.ssh/authorized_keys" ++ [ "/etc/ssh/authorized_keys.d/%u" ]);
  # NixOS's own lines come first in extraConfig (mkOrder 0), the deployment's after.
  config.services.openssh.extraConfig = lib.mkIf config.services.openssh.enable (lib.mkOrder 0 (lib.concatStringsSep "\n" (
    map (port: "Port ${toString port}") config.services.openssh.ports
    ++ map (l: "ListenAddress ${l.addr}${lib.optionalString (l.port != null) ":${toString l.port}"}") config.services.openssh.listenAddresses
    ++ [ "AuthorizedKeysFile ${toString config.services.openssh.authorizedKeysFiles}" ])));
  config.networking.firewall.allowedTCPPorts = lib.mkIf (config.services.openssh.enable && config.services.openssh.openFirewall) config.services.openssh.ports;

  config.assertions = lib.mapAttrsToList
    (name: data: {
      assertion = (data.publicKey == null && data.publicKeyFile != null) || (data.publicKey != null && data.publicKeyFile == null);
      message = "knownHost ${name} must contain either a publicKey or publicKeyFile";
    })
    config.programs.ssh.knownHosts
  ++ map (l: { assertion = l.addr != null; message = "addr must be specified in each listenAddresses entry"; })
    (lib.optionals config.services.openssh.enable config.services.openssh.listenAddresses);
}
