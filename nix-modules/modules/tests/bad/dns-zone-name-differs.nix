# why: Nixus's zone `name' is accepted only as the zone's own attribute name
# expect-path: dns.zones."lab.test".name
# expect: nixmesh names a zone by its attribute
# expect-line: 7
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test" = { name = "other.test"; primaryNode = "db"; };
}
