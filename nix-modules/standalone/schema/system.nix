# The top level of a standalone host: freeform acceptance of every option it does not
# declare, system.*, and the NixOS bookkeeping options (assertions, warnings, nixpkgs.*).
{ lib, config, ... }:
let
  inherit (lib) mkOption types;

  snippetType = types.submodule {
    options = {
      text = mkOption {
        type = types.lines;
        description = "The shell commands of the snippet; run with `bash -e`.";
      };
      deps = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Names of the snippets that must run before this one.";
      };
      supportsDryActivation = mkOption {
        type = types.bool;
        default = false;
        description = "Accepted for NixOS compatibility; a dry activation never runs snippets on standalone hosts.";
      };
    };
  };
in
{
  config._module.freeformType = types.lazyAttrsOf types.anything;

  options.system = {
    name = mkOption {
      type = types.str;
      default = if config.networking.hostName == "" then "unnamed" else config.networking.hostName;
      defaultText = lib.literalExpression ''if config.networking.hostName == "" then "unnamed" else config.networking.hostName'';
      description = "The name of the system, used in the toplevel's state (`node_name`) and store path. nixmesh sets it to the node name.";
    };
    stateVersion = mkOption {
      type = types.str;
      default = "";
      description = "The NixOS release the host's state was created with. Accepted for NixOS compatibility; standalone hosts keep no versioned state.";
    };
    activationScripts = mkOption {
      type = types.attrsOf (types.either types.str snippetType);
      default = { };
      example = lib.literalExpression ''
        { stdio.text = "mkdir -p /var/lib/app";
          app = { deps = [ "stdio" ]; text = "chown app /var/lib/app"; }; }
      '';
      description = ''
        A set of shell snippets run on every activation, after users, groups, managed
        files and the hostname have been applied, in the order given by their `deps`
        (each snippet after the snippets it depends on). A snippet that fails fails the
        activation, naming the snippet.
      '';
    };
    build = mkOption {
      type = types.lazyAttrsOf types.unspecified;
      default = { };
      internal = true;
      description = "Attribute set of derivations used to set up the system; `toplevel` is the whole system.";
    };
  };

  # NixOS modules carry `meta' (maintainers, docs); a module's `meta' is a definition of
  # this option, so two modules with maintainers merge as on NixOS.
  options.meta = mkOption {
    type = types.submodule {
      freeformType = types.lazyAttrsOf types.raw;
      options.maintainers = mkOption {
        type = types.listOf types.raw;
        default = [ ];
        description = "Maintainers of the modules that set it. Accepted for NixOS compatibility.";
      };
    };
    default = { };
    internal = true;
    description = "Module metadata (`meta.maintainers`, `meta.doc`, ...). Accepted for NixOS compatibility; nothing on a standalone host reads it.";
  };

  options.nixpkgs = mkOption {
    type = types.lazyAttrsOf types.raw;
    default = { };
    description = "nixpkgs settings (`nixpkgs.system`, `nixpkgs.config`, `nixpkgs.overlays`, ...). Accepted for NixOS compatibility; standalone hosts do not use nixpkgs.";
  };

  options.assertions = mkOption {
    type = types.listOf types.unspecified;
    default = [ ];
    internal = true;
    example = [{ assertion = false; message = "you can't enable this for that reason"; }];
    description = "Conditions that must hold for the system to build: `{ assertion; message; }`; a false `assertion` stops the build with `message`.";
  };

  options.warnings = mkOption {
    type = types.listOf types.str;
    default = [ ];
    internal = true;
    description = "Messages printed when the system is built.";
  };
}
