# expect-path: nodes.web.sshOptions
# expect: sets ConnectTimeout to `5.5': ssh and the deployer take a time (10, 10s, 1m30s) or none there
# expect-line: 11
# why: ssh reads ConnectTimeout as whole seconds or a time with units and refuses "5.5";
#      the deployer reads it too (it bounds each connection attempt), so the mistake is
#      caught before any host.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    port = 22;
    sshOptions = [ "-o" "ServerAliveInterval=1m" "-oConnectTimeout=5.5" ];
  };
}
