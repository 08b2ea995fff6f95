# Reads other options' introspection attributes.
{ options, lib, ... }: {
  options.report = lib.mkOption { type = lib.types.raw; };
  config.report = {
    isDefined = options.str.isDefined;
    defaultIsDefined = options.bool.isDefined;
    prio = options.int.highestPrio;
    count = builtins.length options.list.definitions;
  };
}
