# A deployment whose mistake only the evaluation of a system finds (the standalone
# toplevel checks an /etc file's mode when it lays the files out): `check` must find it
# too (TestCheckEvaluatesTheSystems), as build would, before anything is built.
{ badMode ? true }:
import ../../../nix-modules { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.environment.etc."web/config" = { text = "x\n"; mode = if badMode then "rw-r--r--" else "0644"; };
  };
}
