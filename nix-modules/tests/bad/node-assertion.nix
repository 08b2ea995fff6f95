# expect-path: nodes.web.port
# expect: Failed assertions
# expect: [web]
# expect: telnet
# expect: second failing check
# why: node-level assertions are reported with the node's name, and all failures together.
let
  # Where an option is defined: FILE:LINE where the module system knows it, else FILE.
  where = option: toString (map (d: if d.pos or null != null then "${d.pos.file}:${toString d.pos.line}" else d.file) option.definitionsWithLocations);
in
import ../../default.nix { } ({ config, options, lib, ... }: {
  nodes.web = { config, options, ... }: {
    host = "root@198.18.0.12";
    port = 23;
    assertions = [{ assertion = config.port != 23; message = "`nodes.web.port' is telnet's (in ${where options.port})"; }];
  };
  assertions = [{ assertion = false; message = "second failing check"; }];
})
