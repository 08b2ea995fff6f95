# expect-path: nodes.web.config
# expect: read-only
# expect-line: 8
# why: `config' is the host's evaluated configuration; the host is configured via `configuration'.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    config.networking.hostName = "web";
  };
}
