# expect: attribute 'gatway' missing
# expect-line: 8
# why: a host module reads a node that does not exist (a typo of `gateway'); Nix reports it.
import ../../default.nix { } {
  nodes.gateway.host = "root@198.18.0.11";
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = { nodes, ... }: { networking.hosts."198.18.0.11" = [ nodes.gatway.config.networking.hostName ]; };
  };
}
