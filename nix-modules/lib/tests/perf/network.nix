# A network of `count` nodes shaped like nixmesh's: every node is a submodule with ~15
# options and a deferred host configuration evaluated on its own (~40 options). Used by
# TestPerformance to keep whole-network evaluation fast.
{ count ? 500 }:
let
  lib = import ../../default.nix;
  inherit (lib) mkOption types mkDefault mkIf;

  genOptions = prefix: n: type: mkDefault': builtins.listToAttrs (builtins.genList
    (i: { name = "${prefix}${toString i}"; value = mkOption { inherit type; default = mkDefault' i; }; })
    n);

  hostSchema = { config, name, nodes, ... }: {
    options = genOptions "o" 30 types.str (i: "v${toString i}") // {
      networking.hostName = mkOption { type = types.str; };
      networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
      users.users = mkOption {
        default = { };
        type = types.attrsOf (types.submodule ({ name, ... }: {
          options.name = mkOption { type = types.str; default = name; };
          options.keys = mkOption { type = types.listOf types.str; default = [ ]; };
          options.uid = mkOption { type = types.nullOr types.int; default = null; };
        }));
      };
      services = mkOption { type = types.attrsOf types.anything; default = { }; };
      enable = mkOption { type = types.bool; default = false; };
      peers = mkOption { type = types.listOf types.str; default = [ ]; };
    };
    config = {
      o5 = mkIf config.enable "enabled";
      peers = [ nodes.node0.host ];
    };
  };

  nodeModule = { config, name, ... }: {
    options = genOptions "n" 10 types.int (i: i) // {
      host = mkOption { type = types.str; };
      enable = mkOption { type = types.bool; default = true; };
      tags = mkOption { type = types.listOf types.str; default = [ ]; };
      configuration = mkOption { type = types.deferredModule; default = { }; };
      config = mkOption { type = types.raw; readOnly = true; };
    };
    config.config = (lib.evalModules {
      modules = [ hostSchema config.configuration { _module.args = { inherit name; nodes = net.config.nodes; }; } ];
    }).config;
    config.configuration = { networking.hostName = mkDefault name; };
  };

  net = lib.evalModules {
    modules = [
      { options.nodes = mkOption { type = types.attrsOf (types.submodule nodeModule); }; }
      {
        nodes = builtins.listToAttrs (builtins.genList
          (i: {
            name = "node${toString i}";
            value = {
              host = "root@10.0.${toString (i / 250)}.${toString (i - (i / 250) * 250)}";
              tags = [ "t${toString (i - (i / 10) * 10)}" ];
              configuration = {
                users.users.root.keys = [ "ssh-ed25519 AAAA${toString i}" ];
                networking.firewall.allowedTCPPorts = [ 22 80 ];
                services.web = { enable = true; port = 8000 + i; };
                enable = true;
              };
            };
          })
          count);
      }
      # A cross-host module: reads its own option, writes into nodes' configurations.
      ({ config, ... }: {
        options.access = mkOption { type = types.attrsOf (types.listOf types.str); default = { }; };
        config.access = builtins.listToAttrs (builtins.genList (i: { name = "node${toString i}"; value = [ "k-${toString i}" ]; }) count);
        config.nodes = builtins.mapAttrs (n: keys: { configuration.users.users.deploy.keys = keys; }) config.access;
      })
    ];
  };
in
builtins.mapAttrs (n: v: { inherit (v) host tags n3; config = v.config; }) net.config.nodes
