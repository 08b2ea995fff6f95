# expect-path: nodes.web.healthChecks.commands.nginx.command
# expect: is not of type
# expect: non-empty string
# why: `sh -c ""` exits 0 whatever the host's state: a check that always passes would
#      confirm a broken system while claiming it was checked.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    healthChecks.commands.nginx.command = " ";
  };
}
