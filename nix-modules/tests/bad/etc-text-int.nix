# expect-path: nodes.web.configuration.environment.etc.motd.text
# expect: is not of type
# expect-line: 7
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.environment.etc.motd.text = 42;
  };
}
