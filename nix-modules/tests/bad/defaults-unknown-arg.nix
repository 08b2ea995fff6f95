# expect: nam
# expect: argument
# why: defaults asks for a module argument that does not exist (a typo of `name').
import ../../default.nix { } {
  defaults = { nam, ... }: { configuration.networking.hostName = nam; };
  nodes.web.host = "root@198.18.0.12";
}
