# expect-path: nodes.web.configuration.system.activationScripts.a.deps
# expect-line: 9
# expect: [web]
# expect: in a cycle: a -> b -> a
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.system.activationScripts = {
      a = { deps = [ "b" ]; text = "true"; };
      b = { deps = [ "a" ]; text = "true"; };
    };
  };
}
