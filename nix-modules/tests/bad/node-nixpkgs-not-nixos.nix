# expect-path: nodes.web.nixpkgs
# expect: holds no NixOS
# why: a node's own nixpkgs that is no nixpkgs failed with Nix's "getting status of
#      .../nixos/lib/eval-config.nix", without the option or its file.
import ../../default.nix { } {
  nodes.web.host = "root@198.18.0.12";
  nodes.web.nixpkgs = /nonexistent/nixpkgs;
}
