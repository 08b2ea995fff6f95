# expect-path: nodes.web.configuration.networking.hostName
# expect: conflicting definition values
# expect-line: 9
# why: (reported at the second definition, as Nix reports a repeated attribute) defaults and the node both set the host name at the same priority.
import ../../default.nix { } {
  defaults = { name, ... }: { configuration.networking.hostName = name; };
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.networking.hostName = "www";
  };
}
