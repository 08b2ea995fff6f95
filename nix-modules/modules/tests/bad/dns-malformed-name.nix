# expect-path: dns.records."web..lab.test"
# expect: is not a valid domain name
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."web..lab.test".A = "198.18.0.12";
}
