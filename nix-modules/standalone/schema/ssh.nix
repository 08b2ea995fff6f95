{ lib, config, options, ... }:
let
  inherit (lib) mkOption types;
  cross = import ../../modules/cross/lib.nix { inherit lib; };
  hostNameType = types.strMatching "[^ \t\n]+" // { description = "host name, address or pattern (no spaces)"; };
  knownHostModule = { name, config, ... }: {
    freeformType = types.lazyAttrsOf types.anything;
    options = {
      certAuthority = mkOption {
        type = types.bool;
        default = false;
        description = "This public key is an SSH certificate authority, rather than an individual host's key.";
      };
      hostNames = mkOption {
        # A known_hosts line ends its names at a space: one inside would break the line.
        type = types.listOf hostNameType;
        default = [ name ] ++ config.extraHostNames;
        defaultText = lib.literalExpression "[ name ] ++ config.extraHostNames";
        description = ''
          A list of host names and/or IP numbers used for accessing the host's ssh
          service. Defaults to the attribute name plus `extraHostNames`.
        '';
      };
      extraHostNames = mkOption {
        type = types.listOf hostNameType;
        default = [ ];
        description = "A list of additional host names and/or IP numbers; ignored if `hostNames` is set explicitly.";
      };
      publicKey = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "ecdsa-sha2-nistp521 AAAAE2VjZHN...UEPg==";
        description = "The public key data for the host. Either this or `publicKeyFile` must be set.";
      };
      publicKeyFile = mkOption {
        type = types.nullOr types.path;
        default = null;
        description = "The path to the public key file for the host. Either this or `publicKey` must be set.";
      };
    };
  };
in
{
  # NixOS's assertion (programs/ssh.nix).
  config.assertions = lib.mapAttrsToList
    (name: h: {
      assertion = (h.publicKey == null) != (h.publicKeyFile == null);
      message = "${cross.showEntry options.programs.ssh.knownHosts name}: knownHost ${name} must contain either a publicKey or publicKeyFile (as on NixOS)";
    })
    config.programs.ssh.knownHosts;

  options.programs.ssh.knownHosts = mkOption {
    type = types.attrsOf (types.submodule knownHostModule);
    default = { };
    example = { "myhost".publicKey = "ssh-ed25519 AAAA..."; };
    description = "The set of system-wide known SSH hosts, written to /etc/ssh/ssh_known_hosts.";
  };
}
