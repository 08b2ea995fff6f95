# A deferredModule collected from several modules, evaluated separately.
{ config, lib, ... }: {
  options.host = lib.mkOption { type = lib.types.deferredModule; default = { }; };
  options.hostResult = lib.mkOption { type = lib.types.raw; };
  config.host = { lib, ... }: { options.name = lib.mkOption { type = lib.types.str; }; options.n = lib.mkOption { type = lib.types.int; default = 0; }; };
  config.hostResult = (lib.evalModules { modules = [ config.host ]; }).config;
}
