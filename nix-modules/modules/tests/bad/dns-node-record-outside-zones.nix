# expect-path: nodes.web.dns.records."web.example.org"
# expect: is in no zone
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  nodes.web.dns.records."web.example.org".A = "198.18.0.12";
}
