# expect-path: nodes.web.configuration.environment.etc.motd
# expect-line: 8
# expect: [web]
# expect: sets both `text' and `source'
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.environment.etc.motd = { text = "hello\n"; source = "/etc/hostname"; };
  };
}
