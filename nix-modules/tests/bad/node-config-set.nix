# expect-path: nodes.web.config
# expect: set host options under `nodes.web.configuration'
# expect-line: 8
# why: `config' is the node's evaluated configuration, which nixmesh computes; setting it
#      (for `configuration') used to report "read-only" with the whole configuration.
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12";
  nodes.web.config.networking.hostName = "web";
}
