# why: the preference is not a number (a bare host is Nixus's form, preference 10; "P HOST"
# the shorthand); this is neither
# expect-path: dns.records."lab.test".MX
# expect: is not of type
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  dns.zones."lab.test".primaryNode = "gateway";
  dns.records."lab.test".MX = "ten mail.lab.test";
}
