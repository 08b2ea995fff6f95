# programs.ssh.knownHosts as NixOS declares it (nixos/modules/programs/ssh.nix): hostNames
# defaults to the attribute name plus extraHostNames and REPLACES that default when set;
# exactly one of publicKey and publicKeyFile (NixOS's assertion). Also the few
# services.openssh options ordinary deployments set.
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
    settings = mkOption { type = types.attrsOf types.anything; default = { }; description = "sshd_config settings."; };
  };

  config.assertions = lib.mapAttrsToList
    (name: data: {
      assertion = (data.publicKey == null && data.publicKeyFile != null) || (data.publicKey != null && data.publicKeyFile == null);
      message = "knownHost ${name} must contain either a publicKey or publicKeyFile";
    })
    config.programs.ssh.knownHosts;
}
