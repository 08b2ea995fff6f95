# expect-path: dns.records."www.lab.test".CNAME
# expect: also has A data
# expect: must be the only data
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."www.lab.test" = {
    CNAME = "web.lab.test.";
    A = "198.18.0.12";
  };
}
