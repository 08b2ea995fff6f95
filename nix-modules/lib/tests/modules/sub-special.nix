{ lib, ... }: {
  options.withArgs = lib.mkOption {
    type = lib.types.submoduleWith {
      specialArgs = { greeting = "hi"; };
      modules = [ ({ greeting, fixtureSpecial ? "absent", ... }: {
        options.msg = lib.mkOption { type = lib.types.str; default = greeting; };
      }) ];
    };
    default = { };
  };
  options.listOfSub = lib.mkOption {
    type = lib.types.listOf (lib.types.submodule { options.v = lib.mkOption { type = lib.types.int; default = 0; }; });
    default = [ ];
  };
  config.listOfSub = [ { v = 1; } { } ];
}
