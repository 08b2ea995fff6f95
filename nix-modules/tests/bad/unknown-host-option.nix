# expect-path: nodes.web.configuration.system.activationScripts.setup.dep
# expect: does not exist
# expect-line: 9
# why: the host schema accepts undeclared options freeform, but an activation snippet
# is a fixed { text, deps } submodule: `dep' is a typo.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.system.activationScripts.setup = { text = "true"; dep = [ ]; };
  };
}
