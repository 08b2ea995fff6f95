{ lib, notProvided, ... }: {
  options.needsArg = lib.mkOption { type = lib.types.str; default = notProvided; };
}
