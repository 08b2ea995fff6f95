# expect-path: nodes.web.configuration.system.activationScripts.setup
# expect: is not of type
# expect-line: 7
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.system.activationScripts.setup = 1;
  };
}
