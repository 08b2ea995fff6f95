# expect-path: nodes.web.secrets.token.path
# expect: nixmesh's own state
# why: a secret in the switcher's records would corrupt them
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    secrets.token = { command = [ "echo" "secret" ]; path = "/var/lib/nixmesh/switch/counter"; };
  };
}
