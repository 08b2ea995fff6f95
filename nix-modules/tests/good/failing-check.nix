# A deployment whose network-level assertion fails: the plan, the scripts and the systems
# must refuse to evaluate, while config, options and optionsList stay readable.
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12";
  assertions = [
    { assertion = false; message = "first check failed"; }
    { assertion = true; message = "never shown"; }
    { assertion = false; message = "second check failed"; }
  ];
}
