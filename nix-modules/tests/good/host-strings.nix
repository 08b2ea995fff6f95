# Evaluates a one-node deployment for each host string in `hosts` (a JSON list, passed
# with --argstr) and reports, per string, whether it was accepted and how the plan split
# it: [ { host; ok; user; hostname; } ]. Rejections are caught with tryEval, so one
# nix-instantiate call checks the whole table (good_test.go, TestHostStrings).
{ hosts }:
map
  (host:
    let
      node = (import ../../default.nix { } { nodes.n.host = host; }).plan.nodes.n;
      result = builtins.tryEval (builtins.deepSeq [ node.user node.hostname ] node);
    in
    if result.success then { inherit host; ok = true; inherit (result.value) user hostname; }
    else { inherit host; ok = false; user = null; hostname = null; })
  (builtins.fromJSON hosts)
