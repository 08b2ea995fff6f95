# expect-path: nodes.web.configuration.networking.hosts."198.18.0.11"
# expect: is not of type
# expect-line: 7
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.networking.hosts."198.18.0.11" = "gateway";
  };
}
