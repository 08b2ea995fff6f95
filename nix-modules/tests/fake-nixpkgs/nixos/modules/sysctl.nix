# boot.kernel.sysctl as NixOS declares it (nixos/modules/config/sysctl.nix): a submodule
# whose freeform values merge with mergeOneOption, so one definition per key and
# priority (two equal normal-priority definitions are an error).
{ lib, ... }:
let
  inherit (lib) mkOption types;
  sysctlOption = lib.mkOptionType {
    name = "sysctl option value";
    check = v:
      let ok = x: builtins.isBool x || builtins.isString x || builtins.isInt x || x == null; in
      ok v || ((v._type or "") == "override" && ok v.content);
    merge = loc: defs: lib.mergeOneOption loc (lib.filterOverrides defs);
  };
in
{
  options.boot.kernel.sysctl = mkOption {
    type = types.submodule {
      freeformType = types.attrsOf sysctlOption;
      options."net.core.rmem_max" = mkOption {
        type = types.nullOr types.ints.unsigned // {
          merge = loc: defs: builtins.foldl' (a: b: if b.value == null then null else lib.max a b.value) 0 (lib.filterOverrides defs);
        };
        default = null;
        description = "The largest receive buffer; the highest definition wins.";
      };
    };
    default = { };
    description = "Kernel parameters.";
  };
}
