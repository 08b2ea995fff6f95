# The engine's views of a hand-written stand-in deployment (eval/testdata/basic,
# deploy/testdata/cli), derived from its `plan` and `systems` as nix-modules/default.nix
# derives them from the real evaluation: nodeIndex (what the engine selects by),
# forNodes (a worker's evaluation: the plan without other nodes, the listed .drv and
# output paths)
# and connectionPlan (what exec, ssh, verify, secrets and graph read; the real one has
# no configurations). Keep it in step with nix-modules/default.nix.
{ plan, systems }:
{
  nodeIndex = builtins.mapAttrs (_: n: { inherit (n) enable tags; kind = n.kind or "standalone"; }) plan.nodes;
  connectionPlan = plan;
  forNodes = names: {
    plan = plan // { nodes = builtins.listToAttrs (map (n: { name = n; value = plan.nodes.${n}; }) names); };
    drvPaths = builtins.listToAttrs (map (n: { name = n; value = systems.${n}.drvPath; }) names);
    outPaths = builtins.listToAttrs (map (n: { name = n; value = systems.${n}.outPath; }) names);
  };
}
