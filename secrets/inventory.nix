# What `nixmesh keys` needs from a deployment, read from its `config` (which stays
# readable when the deployment's checks fail, e.g. while WireGuard public keys are still
# missing): each node's connection settings, the declared SSH host keys and the VPN
# members with their key files. Values that do not evaluate (a publicKey not yet set)
# become null.
#
#   nix-instantiate --eval --strict --json --argstr file /abs/deploy.nix -E "$(cat inventory.nix)"
{ file, ... }@args:
let
  f = import file;
  d = if builtins.isFunction f then f (removeAttrs args [ "file" ]) else f;
  cfg = d.config;
  try = v: let r = builtins.tryEval (builtins.deepSeq v v); in if r.success then r.value else null;
in
{
  nodes = builtins.mapAttrs
    (_: n: {
      host = try n.host;
      port = try n.port;
      sshOptions = try n.sshOptions;
      privilegeEscalationCommand = try n.privilegeEscalationCommand;
      tags = try n.tags;
      enable = try n.enable;
    })
    cfg.nodes;
  hostKeys = builtins.mapAttrs (_: a: try a.hostKeys) (cfg.ssh.access or { });
  vpn = builtins.mapAttrs
    (_: n: {
      backend = try n.backend;
      members = builtins.mapAttrs
        (_: m: { publicKey = try m.publicKey; privateKeyFile = try m.privateKeyFile; })
        n.members;
    })
    (cfg.vpn.networks or { });
}
