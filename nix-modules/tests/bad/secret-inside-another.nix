# expect-path: nodes.web.secrets.cert.path
# expect: inside /var/lib/app/key, the file of `nodes.web.secrets.key'
# why: one secret's path is below another's file: a path cannot be a file and a directory.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    secrets.key = { command = [ "pass" "key" ]; path = "/var/lib/app/key"; };
    secrets.cert = { command = [ "pass" "cert" ]; path = "/var/lib/app/key/cert.pem"; };
  };
}
