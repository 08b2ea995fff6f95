# One option per type, under `t`.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  o = type: mkOption { inherit type; };
in
{
  options.t = {
    bool = o types.bool;
    int = o types.int;
    unsigned = o types.ints.unsigned;
    positive = o types.ints.positive;
    between = o (types.ints.between 3 7);
    u8 = o types.ints.u8;
    u16 = o types.ints.u16;
    u32 = o types.ints.u32;
    s32 = o types.ints.s32;
    port = o types.port;
    float = o types.float;
    number = o types.number;
    str = o types.str;
    nonEmptyStr = o types.nonEmptyStr;
    singleLineStr = o types.singleLineStr;
    lines = o types.lines;
    commas = o types.commas;
    sep = o (types.separatedString ":");
    matching = o (types.strMatching "[a-z]+[0-9]");
    path = o types.path;
    package = o types.package;
    enum = o (types.enum [ "a" "b" 3 ]);
    nullOr = o (types.nullOr types.int);
    listOf = o (types.listOf types.int);
    attrsOf = o (types.attrsOf types.bool);
    lazyAttrsOf = o (types.lazyAttrsOf types.str);
    either = o (types.either types.int types.str);
    oneOf = o (types.oneOf [ types.bool types.int (types.listOf types.str) ]);
    coercedTo = o (types.coercedTo types.str (s: [ s ]) (types.listOf types.str));
    uniq = o (types.uniq types.int);
    unique = o (types.unique { message = "Set it in one place."; } types.str);
    anything = o types.anything;
    attrs = o types.attrs;
    raw = o types.raw;
    unspecified = o types.unspecified;
    functionTo = o (types.functionTo (types.listOf types.int));
    deferredModule = o types.deferredModule;
    submodule = o (types.submodule { options.x = mkOption { type = types.int; default = 0; }; });
    optionType = o types.optionType;
    nonEmptyListOf = o (types.nonEmptyListOf types.int);
  };
}
