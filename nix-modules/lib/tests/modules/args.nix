# Module arguments: special args, _module.args, options, lib.
{ config, options, lib, fixtureSpecial, custom, ... }: {
  options.seen = lib.mkOption { type = lib.types.raw; };
  config = {
    _module.args.custom = "from-module-args";
    seen = {
      special = fixtureSpecial;
      inherit custom;
      hasIntOption = options ? int;
      hasEvalModules = lib ? evalModules;
      intPlusOne = config.int + 1;
    };
  };
}
