# expect: `nodes.web.deployScriptPhases'
# expect: bad/nixus-deploy-script-phases.nix
# expect: use `nodes.web.healthChecks'
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    deployScriptPhases.check-nginx = "curl -f http://web/";
  };
}
