# expect: holds no NixOS
# expect-line: 6
# why: a nixpkgs path that is wrong (a typo, a checkout not fetched) failed with Nix's
#      "getting status of .../lib", naming neither the argument nor where it is set.
import ../../default.nix {
  nixpkgs = /nonexistent/nixpkgs;
} {
  nodes.web.host = "root@198.18.0.12";
}
