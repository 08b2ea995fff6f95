# expect-path: nodes.web.port
# expect: Failed assertions
# expect: [web]
# expect: telnet
# expect: second failing check
# why: node-level assertions are reported with the node's name, and all failures together.
import ../../default.nix { } ({ config, options, lib, ... }: {
  nodes.web = { config, options, ... }: {
    host = "root@198.18.0.12";
    port = 23;
    assertions = [{ assertion = config.port != 23; message = "`nodes.web.port' is telnet's (in ${lib.concatStringsSep ", " options.port.files})"; }];
  };
  assertions = [{ assertion = false; message = "second failing check"; }];
})
