# Command lines from attribute sets (nixpkgs' `lib.cli`). Our own code.
#
#   toCommandLineGNU { } { verbose = true; level = 3; o = "out"; x = [ 1 2 ]; }
#     => [ "--level=3" "-oout" "--verbose" "-x1" "-x2" ]
{ lib }:
let
  inherit (builtins) concatLists concatMap isBool isList stringLength;
  valueString = lib.generators.mkValueStringDefault { };

  self = {
    # Each attribute becomes arguments, in name order: null and false give nothing, true
    # the bare option (unless explicitBool: then the value like any other), a list one
    # option per element, any other value the option with its value (formatArg), joined
    # by `sep`, or as two words when sep is null. optionFormat NAME gives
    # { option; sep; explicitBool; formatArg ? ...; }.
    toCommandLine = optionFormat: attrs:
      let
        render = { option, sep, explicitBool, formatArg ? valueString }: v:
          if v == null || (!explicitBool && v == false) then [ ]
          else if !explicitBool && v == true then [ option ]
          else if sep != null then [ "${option}${sep}${formatArg v}" ]
          else [ option (formatArg v) ];
        one = k: render (optionFormat k);
        pair = k: v:
          if k == "" then builtins.throw "lib.cli.toCommandLine only accepts non-empty option names."
          else if isList v then concatMap (one k) v
          else one k v;
      in
      concatLists (lib.attrsets.mapAttrsToList pair attrs);

    toCommandLineShell = optionFormat: attrs: lib.strings.escapeShellArgs (self.toCommandLine optionFormat attrs);

    # GNU style: one-letter names are short options (-xVALUE), longer ones --name=VALUE.
    toCommandLineGNU = { isLong ? name: stringLength name > 1, explicitBool ? false, formatArg ? valueString }:
      self.toCommandLine (name: {
        option = if isLong name then "--${name}" else "-${name}";
        sep = if isLong name then "=" else "";
        inherit explicitBool formatArg;
      });

    toCommandLineShellGNU = options: attrs: lib.strings.escapeShellArgs (self.toCommandLineGNU options attrs);

    # The older interface: values as separate words unless optionValueSeparator is set.
    toGNUCommandLine =
      { mkOptionName ? k: if stringLength k == 1 then "-${k}" else "--${k}"
      , mkBool ? k: v: lib.lists.optional v (mkOptionName k)
      , mkList ? k: v: concatMap (mkOption k) v
      , mkOption ? k: v:
          if v == null then [ ]
          else if optionValueSeparator == null then [ (mkOptionName k) (valueString v) ]
          else [ "${mkOptionName k}${optionValueSeparator}${valueString v}" ]
      , optionValueSeparator ? null
      }:
      options:
      concatLists (lib.attrsets.mapAttrsToList
        (k: v: if isBool v then mkBool k v else if isList v then mkList k v else mkOption k v)
        options);

    toGNUCommandLineShell = options: attrs: lib.strings.escapeShellArgs (self.toGNUCommandLine options attrs);
  };
in
self
