# A deployment whose mistake only the evaluation of a system finds (the standalone
# toplevel checks an /etc file's target when it lays the files out): `check` must find
# it too (TestCheckEvaluatesTheSystems), as build would, before anything is built.
{ bad ? true }:
import ../../../nix-modules { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.environment.etc."web/config" = { text = "x\n"; target = if bad then "web/./config" else "web/config"; };
  };
}
