# expect-path: stage
# expect: is not of type
# expect: one of
# expect-line: 9
# why: an enum-typed network-level option (as a cross-host module's backend would be).
import ../../default.nix { } ({ config, lib, ... }: {
  options.stage = lib.mkOption { type = lib.types.enum [ "production" "staging" ]; };
  config.nodes.web.host = "root@198.18.0.12";
  config.stage = "dev";
  config.planExtra.stage = config.stage;
})
