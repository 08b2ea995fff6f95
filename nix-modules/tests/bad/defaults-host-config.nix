# expect-path: nodes.web.networking
# expect: does not exist
# expect-line: 7
# why: `defaults' is a node module: host settings go under `configuration'.
import ../../default.nix { } {
  defaults = {
    networking.domain = "lab.test";
  };
  nodes.web.host = "root@198.18.0.12";
}
