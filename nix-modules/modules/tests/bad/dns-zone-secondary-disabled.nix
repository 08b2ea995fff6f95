# why: a disabled secondary would never serve the zone
# expect-path: dns.zones."lab.test".secondaryNodes
# expect: names "db", a disabled node
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  nodes.db.enable = false;
  dns.zones."lab.test" = { primaryNode = "gateway"; secondaryNodes = [ "db" ]; };
}
