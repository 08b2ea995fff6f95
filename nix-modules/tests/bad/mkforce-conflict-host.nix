# expect-path: nodes.web.configuration.networking.hostName
# expect: conflicting definition values
# expect-line: 10
import ../../default.nix { } ({ lib, ... }: {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = {
      imports = [
        { networking.hostName = lib.mkForce "web1"; }
        { networking.hostName = lib.mkForce "web2"; }
      ];
    };
  };
})
