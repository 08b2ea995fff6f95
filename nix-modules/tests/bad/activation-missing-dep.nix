# expect-path: nodes.web.configuration.system.activationScripts.app.deps
# expect-line: 8
# expect: [web]
# expect: depends on `stdio', which is not defined
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.system.activationScripts.app = { deps = [ "stdio" ]; text = "true"; };
  };
}
