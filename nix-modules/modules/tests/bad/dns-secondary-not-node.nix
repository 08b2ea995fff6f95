# expect-path: dns.zones."lab.test".secondaryNodes
# expect: names "dbb", which is no node
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = {
    primaryNode = "gateway";
    secondaryNodes = [ "dbb" ];
  };
}
