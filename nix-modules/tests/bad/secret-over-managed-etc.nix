# expect-path: nodes.web.secrets.motd.path
# expect: manages /etc/motd
# why: the next activation would replace the secret with the managed file
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.environment.etc.motd.text = "hello\n";
    secrets.motd = { command = [ "echo" "secret" ]; path = "/etc/motd"; };
  };
}
