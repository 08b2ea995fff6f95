# A submodule whose freeform type is a set of submodules: the options of those are
# listed under _freeformOptions of the outer submodule's sub-options.
{ lib, options, ... }:
{
  options.free = lib.mkOption {
    type = lib.types.submodule {
      freeformType = lib.types.attrsOf (lib.types.submodule { options.port = lib.mkOption { type = lib.types.int; }; });
    };
    default = { };
  };
  options.portDescription = lib.mkOption {
    default = (options.free.type.getSubOptions [ ])._freeformOptions.port.type.description;
  };
}
