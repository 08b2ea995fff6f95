# expect-path: nodes.db.host
# expect: is not of type
# expect-line: 6
# why: 300 is no octet, and an all-numeric last label is not a DNS name either.
import ../../default.nix { } {
  nodes.db.host = "root@198.18.0.300";
}
