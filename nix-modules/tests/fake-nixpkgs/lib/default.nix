# A stand-in for nixpkgs' lib in the NixOS-kind tests: the bundled lib.
import ../../../lib
