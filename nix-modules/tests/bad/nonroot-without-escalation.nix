# expect-path: nodes.web.privilegeEscalationCommand
# expect: Failed assertions
# expect: logs in as `deploy'
# expect-line: 9
# why: a non-root SSH user with no way to become root could never activate.
import ../../default.nix { } {
  nodes.web = {
    host = "deploy@198.18.0.12";
    privilegeEscalationCommand = [ ];
  };
}
