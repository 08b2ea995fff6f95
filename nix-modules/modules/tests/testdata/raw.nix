# The cross-host part of a deployment *without* the checks: what the Go checks would see
# if the Nix side let the plan through, and the Nix side's own problem list, for the tests
# that make both sides agree (bad_test.go). Nodes carry an empty configuration.
#
#   nix-instantiate --eval --strict --json testdata/raw.nix --arg file ./bad/x.nix
{ file }:
let
  d = import file;
  inherit (d) config;
in
{
  version = 1;
  nodes = builtins.mapAttrs
    (name: node: {
      inherit name;
      inherit (node) enable host port;
      kind = "standalone";
      configuration = { };
    })
    config.nodes;
  network = config.planExtra.network;
  problems = map (p: d.lib.showOption p.path) (config.ssh.problems ++ config.vpn.problems ++ config.dns.problems);
}
