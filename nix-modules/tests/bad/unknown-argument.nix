# expect: the argument sytem
# expect-line: 6
# why: a misspelt argument of nix-modules (`sytem`, `nixpkg`) was ignored without a word:
#      the hosts were built for the wrong platform, or as standalone instead of NixOS.
import ../../default.nix {
  sytem = "aarch64-linux";
} {
  nodes.web.host = "root@198.18.0.12";
}
