# expect-path: nodes.web.sshOptions
# expect: sets ConnectTimeout to `5s': ssh and the deployer take a whole number there
# expect-line: 10
# why: ssh reads ConnectTimeout as whole seconds and refuses "5s"; the deployer reads it
#      too (it bounds each connection attempt), so the mistake is caught before any host.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    port = 22;
    sshOptions = [ "-o" "ServerAliveInterval=3" "-oConnectTimeout=5s" ];
  };
}
