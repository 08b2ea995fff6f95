# expect-path: nodes.web.sshOptions
# expect: sets the SSH port; set `nodes.web.port' instead
# expect-line: 10
# why: ssh takes the first port it is given, and the deployer checks the host key of
#      `port'; the port belongs in `port'.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    port = 22;
    sshOptions = [ "-o" "Port=2222" ];
  };
}
