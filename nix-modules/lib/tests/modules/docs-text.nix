{ lib, ... }: {
  options.t = lib.mkOption { type = lib.types.str; default = "x"; defaultText = "config.foo"; };
}
