# expect-path: dns.records."mail.other.test"
# expect: is in no zone
# expect: zones: lab.test
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."mail.other.test".A = "198.18.0.20";
}
