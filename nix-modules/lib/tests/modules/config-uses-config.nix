# Definitions that read other options: laziness across modules.
{ config, lib, ... }: {
  options.derived = lib.mkOption { type = lib.types.str; };
  config = {
    derived = "${config.str}-${toString config.nested.a}";
    nested.b = lib.mkIf (config.int > 3) "big";
  };
}
