# extendModules, moduleType and evalModules' prefix, from inside a module.
{ config, lib, extendModules, moduleType, ... }: {
  options.extended = lib.mkOption { type = lib.types.raw; };
  options.prefixed = lib.mkOption { type = lib.types.raw; };
  config.extended = {
    int = (extendModules { modules = [ { int = lib.mkForce 99; } ]; }).config.int;
    original = config.int;
    typeName = moduleType.name;
    specialArgsSeen = (extendModules { specialArgs.extra = "e"; modules = [ ({ extra, ... }: { str = extra; }) ]; }).config.str;
  };
  config.prefixed =
    let r = lib.evalModules {
      prefix = [ "top" "sub" ];
      modules = [ { options.x = lib.mkOption { type = lib.types.int; }; config.x = "bad"; } ];
    }; in
    { loc = r.options.x.loc; value = r.config.x; };
}
