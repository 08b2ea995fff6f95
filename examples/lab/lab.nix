# Plugs a running local lab into the example (deploy.nix imports this file).
#
#   nixmesh lab up -f examples/lab/deploy.nix --write-nix examples/lab/lab-generated.nix
#   nix-build examples/lab/deploy.nix && ./result           # picks up ./lab-generated.nix
#   nix-build examples/lab/deploy.nix --arg labHosts /path/to/other-lab.nix
#
# `nixmesh lab up --write-nix FILE` writes { <node> = { address; port; hostKey; identityFile; knownHostsFile; }; ... }.
# A lab's host keys are new at every `lab up`, so they cannot be written into the example;
# when the file exists, every node it names gets from it
#   - its address (the `addresses` below, which deploy.nix uses for `host`, /etc/hosts, ...)
#     and its SSH port (`nodes.<node>.port`);
#   - its host key (`ssh.access.<node>.hostKeys.ed25519`, overriding network.nix's example
#     keys): the hosts' known hosts and the deployer's host-key check then match the lab;
#   - the lab's operator key and known_hosts file, as the node's `sshOptions`, so that
#     `nixmesh deploy` and `./result` reach the hosts without any ssh setup.
# Without the file (evaluation, golden tests, CI without a lab), nothing changes: the
# example's own addresses and keys stand.
#
#   import ./lab.nix { labHosts = ./lab-hosts.nix; addresses = { web = "198.18.0.12"; }; }
#   -> { hosts; addresses; module; }
{
  # The lab file: a path (or an absolute path as a string); it need not exist.
  labHosts ? null
, # The example's own addresses, by node: the nodes this file may change.
  addresses
}:
let
  path = if builtins.isString labHosts then /. + labHosts else labHosts;
  exists = path != null && builtins.pathExists path;
  all = if exists then import path else { };
  # Only the example's nodes: a lab may have more hosts than the deployment has nodes.
  hosts = builtins.intersectAttrs addresses all;
in
{
  inherit hosts;

  # The example's addresses, with the lab's where it has one.
  addresses = builtins.mapAttrs (name: address: hosts.${name}.address or address) addresses;

  # The network-level module: ports and host keys from the lab.
  module = { lib, ... }: {
    nodes = builtins.mapAttrs
      (_: h: {
        port = lib.mkIf (h ? port) h.port;
        # The lab's operator key and known hosts: both front doors reach the hosts with
        # no ssh setup of the operator's own.
        sshOptions = lib.optionals (h ? identityFile) [ "-o" "IdentityFile=${h.identityFile}" ]
          ++ lib.optionals (h ? knownHostsFile) [ "-o" "UserKnownHostsFile=${h.knownHostsFile}" ];
      })
      hosts;
    ssh.access = builtins.mapAttrs (_: h: { hostKeys.ed25519 = lib.mkForce h.hostKey; })
      (lib.filterAttrs (_: h: h ? hostKey) hosts);
  };
}
