# A submodule option declared in two files, each type with a module that defines a list
# inside: the list's order is the one NixOS gives (declarations' modules in nixpkgs' order).
{ lib, ... }: {
  options.twice = lib.mkOption {
    type = lib.types.submodule {
      options.l = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
      config.l = [ "decl-a" ];
    };
    default = { };
  };
}
