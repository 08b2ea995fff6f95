# why: nothing listens on port 0; the deploy would only fail at connect
# expect-path: nodes.web.port
# expect: is not of type `integer between 1 and 65535
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  nodes.web.port = 0;
}
