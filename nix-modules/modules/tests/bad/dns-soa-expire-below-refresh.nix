# expect-path: dns.zones."lab.test".soa.expire
# expect: would stop answering for the zone between their refreshes
# why: a secondary drops the zone `expire' seconds after its last refresh; below the
#      refresh interval it is without the zone for most of every cycle.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = {
    primaryNode = "gateway";
    secondaryNodes = [ "web" ];
    soa = { master = "gateway.lab.test."; refresh = 3600; expire = 600; };
  };
}
