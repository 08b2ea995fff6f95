# expect-path: ssh.access.db.hostNames
# expect: is not of type
# why: known_hosts separates names by commas and ends them at a space.
import ../../../default.nix { } {
  imports = [ ../testdata/nodes.nix ];
  ssh.access.db.hostNames = [ "db lab" ];
}
