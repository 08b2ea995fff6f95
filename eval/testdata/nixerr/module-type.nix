# A module-system style type error thrown from deep inside an evaluation, with a
# trace line and a warning printed before it.
let
  check = v:
    if v > 65535
    then throw "A definition for option `nodes.web.port' is not of type `16 bit unsigned integer'. Definition values:\n- In `/work/example/deploy.nix:7:12': 70000"
    else v;
  nodes = { web = { port = builtins.trace "checking web" (check 70000); }; };
in { plan = { nodes = nodes; }; }
