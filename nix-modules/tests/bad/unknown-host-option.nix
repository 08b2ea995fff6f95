# expect-path: environment.etc.motd.txet
# expect: does not exist
# expect-line: 8
# why: the host schema is freeform at the top, but environment.etc entries are not.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.environment.etc.motd.txet = "hello";
  };
}
