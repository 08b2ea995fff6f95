# Option types of the bundled module system (`lib.types`).
#
# A type is an attribute set made by `mkOptionType`:
#   { _type = "option-type"; name; description; descriptionClass; check; merge;
#     emptyValue; getSubOptions; getSubModules; substSubModules; typeMerge; functor;
#     nestedTypes; deprecationMessage; }
# `check value` says whether one definition's value is acceptable; `merge loc defs`
# combines the (already checked, priority-filtered, ordered) definitions
# `[{ file; value; pos?; }]` of the option at path `loc`. Wrapping types (listOf,
# attrsOf, ...) merge their elements through `lib.modules.mergeDefinitions`, so
# mkIf/mkMerge/mkOverride work inside lists and attribute sets, and pass every
# element's position along (see options.nix for the location format in errors).
#
# The v2 merge protocol (nixpkgs 25.11 and later, followed here): the wrapping types'
# `merge` is also an attribute set, still callable as `merge loc defs`, with
# `v2 = { loc, defs }: { headError; value; valueMeta; }`. Such a type checks its
# definitions in that call (headError: null, or { message } for the error
# "A definition ... is not of type `T'. TypeError: MESSAGE"), and returns next to the
# value what the merge learnt: `valueMeta.attrs.NAME` / `valueMeta.list` (the elements'
# own valueMeta), a submodule's evaluation (`valueMeta.configuration`). Options show it
# as `options.X.valueMeta`. The `check` of such a type says it agrees with the merge
# (`isV2MergeCoherent`); a check replaced with `type // { check = ...; }` does not, and
# using it is an error that points to `types.addCheck`, as in nixpkgs.
{ lib }:
let
  inherit (builtins)
    all any attrNames concatLists concatMap concatStringsSep elemAt filter foldl' genList
    head isAttrs isBool isFloat isFunction isInt isList isPath isString length listToAttrs
    map mapAttrs match stringLength substring tail toJSON typeOf unsafeGetAttrPos zipAttrsWith;

  inherit (lib.options) mergeEqualOption mergeOneOption mergeDefaultOption mergeUniqueOption showOption showDefs showFiles;

  last' = l: elemAt l (length l - 1);

  isDerivation = x: isAttrs x && (x.type or null) == "derivation";
  isStringLike = x: isString x || isPath x || (isAttrs x && (x ? outPath || x ? __toString));
  isOptionType = x: isAttrs x && (x._type or null) == "option-type";

  # Whether a path string lies in or below a store object: storeDir, then a name that
  # starts with a 32-character hash (nix32 digits) and a dash.
  # belowStoreObject "/nix/store/0fb3...-bash/bin/bash" => true; "/nix/store/.links" => false
  belowStoreObject = s:
    let n = stringLength builtins.storeDir; in
    substring 0 (n + 1) s == builtins.storeDir + "/"
    && match "[0-9a-df-np-sv-z]{32}-[^/]+(/.*)?" (substring (n + 1) (stringLength s) s) != null;

  # --- the v2 merge protocol ------------------------------------------------------------

  # A `check` that agrees with its type's v2 merge.
  coherentCheck = f: { __functor = _: f; isV2MergeCoherent = true; };
  # Made once, not with every type.
  listCheck = coherentCheck isList;
  attrsCheck = coherentCheck isAttrs;
  # A `merge` with a v2 part; called as `merge loc defs` it gives the v2 value (through
  # `self`, so an override of `v2` is what a plain call runs too).
  mergeV2 = v2: { __functor = self: loc: defs: (self.v2 { inherit loc defs; }).value; inherit v2; };
  # The headError of definitions a check does not accept (null when all pass).
  defsError = check: defs:
    if all (d: check d.value) defs then null
    else { message = "Definition values: ${showDefs (filter (d: !(check d.value)) defs)}"; };
  coherent = lib.modules.checkV2MergeCoherence;
  # A type's v2 result, also for a type without v2 (checked with its check).
  checkedMerge = loc: t: defs:
    if t.merge ? v2 then coherent loc t (t.merge.v2 { inherit loc defs; })
    else { headError = defsError t.check defs; value = t.merge loc defs; valueMeta = { }; };

  # Description with parentheses unless the inner type's class is one of `ok`.
  phrase = ok: t:
    if ok (t.descriptionClass or null) then t.description else "(${t.description})";

  defaultFunctor = name: {
    inherit name;
    type = types.${name} or null;
    wrapped = null;
    payload = null;
    binOp = _: _: null;
  };

  /* Merge two types' functors: same name and no parameters -> the type itself;
     parameters (payload) combined by binOp; wrapped element types merged recursively.
     Returns null when the types cannot be merged.
  */
  defaultTypeMerge = f: f':
    if f.name != f'.name then null
    else if f.payload != null then
      (if f'.payload == null then null
       else let p = f.binOp f.payload f'.payload; in if p == null then null else f.type p)
    else if f.wrapped != null then
      (if f'.wrapped == null then null
       else let w = f.wrapped.typeMerge f'.wrapped.functor; in if w == null then null else f.type w)
    else f.type;

  mkOptionType =
    { name
    , description ? null
    , descriptionClass ? null
    , check ? (_: true)
    , merge ? mergeDefaultOption
    , emptyValue ? { }
    , getSubOptions ? (_: { })
    , getSubModules ? null
    , substSubModules ? (_: null)
    , typeMerge ? null
    , functor ? defaultFunctor name
    , deprecationMessage ? null
    , nestedTypes ? { }
    }:
    {
      _type = "option-type";
      inherit name check merge emptyValue getSubOptions getSubModules substSubModules
        functor deprecationMessage nestedTypes descriptionClass;
      description = if description == null then name else description;
      typeMerge = if typeMerge == null then defaultTypeMerge functor else typeMerge;
    };

  # A self-contained simple type whose functor merges only with itself.
  simple = attrs:
    let t = mkOptionType (attrs // { functor = (defaultFunctor attrs.name) // { type = t; }; }); in t;

  mergeDefs = loc: type: defs: lib.modules.mergeDefinitions loc type defs;

  propertyTypes = { "if" = true; merge = true; override = true; order = true; definition = true; };
  isProperty = v: isAttrs v && propertyTypes ? ${v._type or ""};

  # Merge plain definitions (no properties) of one element: check, then merge; a value
  # of the wrong type goes through mergeDefinitions for the usual error message, and so
  # does every value of a type with a v2 merge (which checks as it merges).
  mergeOne = loc: type: defs:
    if !(type.merge ? v2) && all (d: type.check d.value) defs then type.merge loc defs
    else (mergeDefs loc type defs).mergedValue;

  # Per-attribute definitions of a list of attribute-set definitions, with positions.
  # Returns { NAME = [ def ... ]; }.
  # A definition may carry `childPos` (name -> position) when its value was built by the
  # module system itself and has no positions of its own (free-form definitions).
  attrDefs = defs:
    let
      split = d: mapAttrs
        (n: v: { inherit (d) file; value = v; pos = if d ? childPos then d.childPos n else unsafeGetAttrPos n d.value; })
        d.value;
    in
    if length defs == 1 then mapAttrs (n: v: [ v ]) (split (head defs))
    else zipAttrsWith (n: vs: vs) (map split defs);

  # Integers in [lo, hi]; merges only with the same range (keeping its description).
  intBetween = name: lo: hi: desc:
    let
      self = mkOptionType {
        inherit name;
        description = desc;
        descriptionClass = "noun";
        check = x: isInt x && x >= lo && x <= hi;
        merge = mergeEqualOption;
        functor = (defaultFunctor name) // {
          type = _: self;
          payload = { inherit lo hi; };
          binOp = a: b: if a == b then a else null;
        };
      };
    in
    self;
  between = lo: hi:
    if lo > hi then throw "types.ints.between: lower bound ${toString lo} is above upper bound ${toString hi}"
    else intBetween "intBetween" lo hi "integer between ${toString lo} and ${toString hi} (both inclusive)";
  unsignedBits = bits: hi: intBetween "unsignedInt${toString bits}" 0 hi "${toString bits} bit unsigned integer; between 0 and ${toString hi} (both inclusive)";
  signedBits = bits: lo: hi: intBetween "signedInt${toString bits}" lo hi "${toString bits} bit signed integer; between ${toString lo} and ${toString hi} (both inclusive)";

  separatedString = sep: mkOptionType {
    name = "separatedString";
    description = "strings concatenated with ${toJSON sep}";
    descriptionClass = "noun";
    check = isString;
    merge = _: defs: concatStringsSep sep (map (d: d.value) defs);
    functor = (defaultFunctor "separatedString") // {
      type = separatedString;
      payload = sep;
      binOp = a: b: if a == b then a else null;
    };
  };

  showEnumValue = v:
    if isString v then toJSON v
    else if isInt v || isFloat v then toString v
    else if isBool v then (if v then "true" else "false")
    else if v == null then "<null>"
    else "<${typeOf v}>";

  types = {
    inherit isOptionType mkOptionType defaultFunctor defaultTypeMerge isStringLike;

    # A type's description, parenthesized unless `unparenthesize` accepts its class.
    optionDescriptionPhrase = phrase;

    # Colon-separated strings (PATH-like variables).
    envVar = separatedString ":";

    # Values serializable as JSON (null allowed) or TOML (no null).
    json = types.serializableValueWith { typeName = "JSON"; };
    toml = types.serializableValueWith { typeName = "TOML"; nullable = false; };

    # The type both `a` and `b` merge into (typeMerge), or a "merge-error" value.
    mergeTypes = a: b:
      assert isOptionType a && isOptionType b;
      let merged = a.typeMerge b.functor; in
      if merged == null then lib.options.setType "merge-error" { error = "Cannot merge types"; } else merged;

    # A module that turns the option checks off, for evaluations that only document.
    noCheckForDocsModule = {
      _file = "<built-in module that disables checks for the purpose of documentation generation>";
      config._module.check = lib.modules.mkForce false;
    };

    /* Type: a boolean; several equal definitions are accepted. */
    bool = simple { name = "bool"; description = "boolean"; descriptionClass = "noun"; check = isBool; merge = mergeEqualOption; };

    /* Type: a signed integer. */
    int = simple { name = "int"; description = "signed integer"; descriptionClass = "noun"; check = isInt; merge = mergeEqualOption; };

    /* Integer families: ints.between lo hi, ints.unsigned, ints.positive, u8/u16/u32,
       s8/s16/s32. Example: ints.between 1 10 */
    ints = {
      inherit between;
      unsigned = mkOptionType {
        name = "unsignedInt"; description = "unsigned integer, meaning >=0"; descriptionClass = "nonRestrictiveClause";
        check = x: isInt x && x >= 0; merge = mergeEqualOption;
      };
      positive = mkOptionType {
        name = "positiveInt"; description = "positive integer, meaning >0"; descriptionClass = "nonRestrictiveClause";
        check = x: isInt x && x > 0; merge = mergeEqualOption;
      };
      u8 = unsignedBits 8 255;
      u16 = unsignedBits 16 65535;
      u32 = unsignedBits 32 4294967295;
      s8 = signedBits 8 (-128) 127;
      s16 = signedBits 16 (-32768) 32767;
      s32 = signedBits 32 (-2147483648) 2147483647;
    };

    /* Type: a TCP/UDP port, 0..65535 (= ints.u16). */
    port = types.ints.u16;

    /* Type: a floating point number. */
    float = simple { name = "float"; description = "floating point number"; descriptionClass = "noun"; check = isFloat; merge = mergeEqualOption; };

    /* Type: an integer or a float. */
    number = types.either types.int types.float;

    /* Number families (integers or floats): numbers.between lo hi, numbers.nonnegative,
       numbers.positive. Example: numbers.between 0 1.5 */
    numbers = {
      between = lo: hi:
        if lo > hi then throw "types.numbers.between: lower bound ${toJSON lo} is above upper bound ${toJSON hi}"
        else types.addCheck types.number (x: x >= lo && x <= hi) // {
          name = "numberBetween";
          description = "integer or floating point number between ${toJSON lo} and ${toJSON hi} (both inclusive)";
        };
      nonnegative = types.addCheck types.number (x: x >= 0) // {
        name = "numberNonnegative";
        description = "nonnegative integer or floating point number, meaning >=0";
        descriptionClass = "nonRestrictiveClause";
      };
      positive = types.addCheck types.number (x: x > 0) // {
        name = "numberPositive";
        description = "positive integer or floating point number, meaning >0";
        descriptionClass = "nonRestrictiveClause";
      };
    };

    /* Type: a string; several equal definitions are accepted. */
    str = simple { name = "str"; description = "string"; descriptionClass = "noun"; check = isString; merge = mergeEqualOption; };

    /* Type: a string that is not empty (nor only white space). */
    nonEmptyStr = simple {
      name = "nonEmptyStr"; description = "non-empty string"; descriptionClass = "noun";
      check = x: isString x && match "[[:space:]]*" x == null; merge = mergeEqualOption;
    };

    /* Type: a string on one line: no carriage return, and a final newline allowed but
       removed from the value. */
    singleLineStr = simple {
      name = "singleLineStr"; description = "(optionally newline-terminated) single-line string"; descriptionClass = "noun";
      check = x: isString x && match "[^\n\r]*\n?" x != null;
      merge = loc: defs: lib.strings.removeSuffix "\n" (mergeEqualOption loc defs);
    };

    /* Type: a string matching a POSIX extended regular expression (whole string).
       Example: strMatching "[a-z]+" */
    strMatching = pattern: mkOptionType {
      name = "strMatching ${toJSON pattern}";
      description = "string matching the pattern ${pattern}";
      descriptionClass = "noun";
      check = x: isString x && match pattern x != null;
      merge = mergeEqualOption;
      functor = (defaultFunctor "strMatching") // {
        type = p: types.strMatching p;
        payload = pattern;
        binOp = a: b: if a == b then a else null;
      };
    };

    /* Type: strings joined with a separator when defined several times.
       Example: separatedString ":" */
    inherit separatedString;

    /* Type: strings joined with newlines. */
    lines = separatedString "\n";

    /* Type: strings joined with commas. */
    commas = separatedString ",";

    # Deprecated in nixpkgs; concatenates definitions.
    string = separatedString "";

    /* Type: an absolute path (a path value or a string starting with "/"). */
    path = types.pathWith { absolute = true; };

    /* Type: an absolute path inside the Nix store (below a store object, e.g.
       "/nix/store/<hash>-bash/bin/bash"). */
    pathInStore = types.pathWith { inStore = true; };

    /* Type: an absolute path outside the Nix store, as a string (a path value would be
       copied into the store when used). */
    externalPath = types.pathWith { absolute = true; inStore = false; };

    /* Type: a path, constrained by `absolute` (true: starts with "/"; false: does not;
       null: either) and `inStore` (true: below a store object; false: not in the store,
       and a string rather than a path value; null: either). Types with equal
       constraints merge.
       Example: pathWith { inStore = true; } */
    pathWith = { inStore ? null, absolute ? null }:
      if inStore == true && absolute == false then
        throw "In pathWith, inStore means the path must be absolute: `inStore = true' with `absolute = false' describes no path."
      else
        let
          self = mkOptionType {
            name = "path";
            description =
              (if absolute == true then "absolute " else if absolute == false then "relative " else "")
              + "path"
              + (if inStore == true then " in the Nix store" else if inStore == false then " not in the Nix store" else "");
            descriptionClass = "noun";
            check = x:
              (if inStore == false then isString x else isStringLike x)
              && (absolute == null || absolute == (substring 0 1 (toString x) == "/"))
              && (inStore == null || inStore == belowStoreObject (toString x));
            merge = mergeEqualOption;
            functor = (defaultFunctor "path") // {
              type = types.pathWith;
              payload = { inherit inStore absolute; };
              binOp = a: b: if a == b then a else null;
            };
          };
        in
        self;

    /* Type: a value that serialises to a data format named `typeName` ("JSON",
       "TOML"): booleans, numbers, strings, paths, and attribute sets and lists of them;
       null too when `nullable`. Definitions merge like attrsOf/listOf at every level.
       Example: serializableValueWith { typeName = "JSON"; } */
    serializableValueWith = { typeName, nullable ? true }:
      let
        scalarOrNested = types.oneOf [
          types.bool types.int types.float types.str types.path
          (types.attrsOf value) (types.listOf value)
        ];
        value = (if nullable then types.nullOr scalarOrNested else scalarOrNested) // {
          description = "${typeName} value";
        };
      in
      value;

    /* Type: booleans merged with `or`: true when any definition is true. */
    boolByOr = simple {
      name = "boolByOr"; description = "boolean (merged using or)"; descriptionClass = "noun";
      check = isBool;
      merge = _: defs: any (d: d.value) defs;
    };

    /* Type: `t` whose values must also pass `check` (the merge stays t's; with a v2
       merge, a definition `check` refuses is the type error when `t` finds none).
       Example: addCheck types.int (x: x >= 0) */
    addCheck = t: check:
      if t.merge ? v2 then
        t // {
          check = coherentCheck (x: t.check x && check x);
          merge = mergeV2 ({ loc, defs }:
            let r = coherent loc t (t.merge.v2 { inherit loc defs; }); in
            r // { headError = if r.headError != null then r.headError else defsError check defs; });
        }
      else t // { check = x: t.check x && check x; };

    /* Type: a value of `t` that can be a field of /etc/passwd: no `:' and no newline.
       Example: passwdEntry types.path */
    passwdEntry = t: types.addCheck t (x: match ".*[:\n].*" (toString x) == null) // {
      name = "passwdEntry ${t.name}";
      description = "${phrase (c: c == "noun") t}, not containing newlines or colons";
      descriptionClass = "nonRestrictiveClause";
    };

    /* Type: a derivation or a store path. */
    package = simple {
      name = "package"; description = "package"; descriptionClass = "noun";
      check = x: isDerivation x || (isStringLike x && substring 0 (stringLength builtins.storeDir + 1) (toString x) == builtins.storeDir + "/");
      merge = mergeOneOption;
    };

    /* Type: one of the listed values. Example: enum [ "wireguard" "none" ] */
    enum = values:
      let
        desc =
          if values == [ ] then "impossible (empty enum)"
          else if length values == 1 then "value ${showEnumValue (head values)} (singular enum)"
          else "one of ${concatStringsSep ", " (map showEnumValue values)}";
      in
      mkOptionType {
        name = "enum";
        description = desc;
        descriptionClass = if length values < 2 then "noun" else "conjunction";
        check = x: builtins.elem x values;
        merge = mergeEqualOption;
        functor = (defaultFunctor "enum") // {
          type = types.enum;
          payload = values;
          binOp = a: b: a ++ filter (x: !(builtins.elem x a)) b;
        };
      };

    /* Type: any value, merged by a deep merge of attribute sets; other values must be
       equal when defined several times. */
    anything = mkOptionType {
      name = "anything";
      description = "anything";
      descriptionClass = "noun";
      check = _: true;
      merge = loc: defs:
        let
          kind = v:
            if isAttrs v && isStringLike v then "stringCoercibleSet"
            else if isDerivation v then "stringCoercibleSet"
            else typeOf v;
          k = kind (head defs).value;
          same = all (d: kind d.value == k) (tail defs);
        in
        if !same then
          throw "The option `${showOption loc}' has conflicting option types in ${showFiles (lib.lists.unique (map (d: toString d.file) defs))}: ${concatStringsSep ", " (map (d: kind d.value) defs)}.${showDefs defs}"
        else if k == "set" then (types.attrsOf types.anything).merge loc defs
        else if k == "list" then
          (if length defs == 1 then (types.listOf types.anything).merge loc defs
           else if all (d: d.value == (head defs).value) (tail defs) then (head defs).value
           else throw "The option `${showOption loc}' has conflicting definition values:${showDefs defs}\nLists are not merged by `anything': declare the option with `listOf' to concatenate them.")
        else if k == "lambda" then
          (arg: (mergeDefs (loc ++ [ "<function body>" ]) types.anything (map (d: d // { value = d.value arg; }) defs)).mergedValue)
        else mergeEqualOption loc defs;
    };

    /* Type: any attribute set; definitions are shallowly updated (later wins). */
    attrs = simple {
      name = "attrs"; description = "attribute set"; descriptionClass = "noun";
      check = isAttrs;
      merge = _: defs: foldl' (a: d: a // d.value) { } defs;
      emptyValue = { value = { }; };
    };

    /* Type: any value, not merged (a single definition), not checked or descended into. */
    raw = simple { name = "raw"; description = "raw value"; descriptionClass = "noun"; check = _: true; merge = mergeOneOption; };

    /* Type: any value, merged with mergeDefaultOption. */
    unspecified = simple { name = "unspecified"; description = "unspecified value"; descriptionClass = "noun"; };

    /* Type: an option declaration (the result of mkOption, not an evaluated option
       from `options`), for options whose value declares another option. */
    optionDeclaration = simple {
      name = "optionDeclaration"; description = "option declaration"; descriptionClass = "noun";
      check = x: isAttrs x && (x._type or null) == "option" && !(x ? value);
      merge = mergeOneOption;
    };

    /* Type: an option type (used by _module.freeformType). */
    optionType = simple {
      name = "optionType"; description = "optionType"; descriptionClass = "noun";
      check = isOptionType;
      merge = loc: defs:
        let
          # A submodule type keeps where it was defined: its modules' declarations and
          # definitions are reported with the defining file.
          located = d:
            let t = d.value; in
            if (t.getSubModules or null) != null
            then t.substSubModules (map (lib.modules.setDefaultModuleLocation d.file) t.getSubModules)
            else t;
        in
        # One definition: the type as it is (a type that needs no merge is not rebuilt).
        if length defs == 1 then (head defs).value
        # Each later definition's type is merged with those before it (as nixpkgs
        # does: a merged submodule lists the later definition's modules first).
        else foldl' (a: d:
          let m = (located d).typeMerge a.functor; in
          if m == null then throw "The option `${showOption loc}' has conflicting type definitions that cannot be merged.${showDefs defs}" else m)
          (located (head defs)) (tail defs);
    };

    /* Type: a list whose elements have type `elemType`; definitions are concatenated.
       Example: listOf str */
    listOf = elemType:
      let
        entryLoc = loc: n: m: loc ++ [ "[definition ${toString n}-entry ${toString (m + 1)}]" ];
        entryDef = def: v: { inherit (def) file; pos = def.pos or null; value = v; };
        # One element's own merge (mergeDefinitions' result, or its lighter form for a
        # plain element of a type with a v2 merge).
        entry = loc: n: def: m:
          let v = elemAt def.value m; in
          if elemType.merge ? v2 && !(isProperty v) then lib.modules.mergePlainV2 (entryLoc loc n m) elemType [ (entryDef def v) ]
          else mergeDefs (entryLoc loc n m) elemType [ (entryDef def v) ];
        # Plain elements of a type without v2 (the usual case) skip the per-element
        # priority handling.
        one = loc: i: def:
          if !(elemType.merge ? v2) && all (v: !(isProperty v)) def.value then
            genList (m: mergeOne (entryLoc loc (i + 1) m) elemType [ (entryDef def (elemAt def.value m)) ]) (length def.value)
          else if elemType.merge ? v2 && all (v: !(isProperty v)) def.value then
            genList (m: lib.modules.mergePlainV2Value (entryLoc loc (i + 1) m) elemType [ (entryDef def (elemAt def.value m)) ]) (length def.value)
          else
            map (e: e.mergedValue) (filter (e: e.isDefined) (genList (entry loc (i + 1) def) (length def.value)));
        # The elements' own valueMeta, from merges of their own: computed only when read,
        # and not kept alive by the value (a submodule element's evaluation would be).
        meta = loc: defs:
          map (e: e.checkedAndMerged.valueMeta)
            (filter (e: e.isDefined) (concatLists (genList (i: let def = elemAt defs i; in genList (entry loc (i + 1) def) (length def.value)) (length defs))));
      in
      mkOptionType {
      name = "listOf";
      description = "list of ${phrase (c: c == "noun" || c == "composite") elemType}";
      descriptionClass = "composite";
      check = listCheck;
      merge = mergeV2 ({ loc, defs }: {
        headError = defsError isList defs;
        value = concatLists (genList (i: one loc i (elemAt defs i)) (length defs));
        valueMeta.list = meta loc defs;
      });
      emptyValue = { value = [ ]; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: types.listOf (elemType.substSubModules m);
      functor = (defaultFunctor "listOf") // { wrapped = elemType; type = types.listOf; };
      nestedTypes.elemType = elemType;
    };

    /* Type: a non-empty list. Example: nonEmptyListOf str */
    nonEmptyListOf = elemType:
      let l = types.addCheck (types.listOf elemType) (x: x != [ ]); in
      l // {
        description = "non-empty ${phrase (c: c == "noun") l}";
        emptyValue = { };
        substSubModules = m: types.nonEmptyListOf (elemType.substSubModules m);
      };

    /* Type: an ordered list of named values, `[ { NAME = VALUE; } ... ]`, each VALUE of
       `elemType`. A definition is such a list, or an attribute set (each attribute one
       entry). Entries are ordered by their mkOrder priority (mkBefore/mkAfter on an
       entry, or on a value), then as defined; a name may occur several times; mkOverride
       on a value competes with the other entries of that name. With `asAttrs`, the value
       is an attribute set instead, several values of one name combined by
       `mergeAttrValues NAME VALUES` (default: the list of them). valueMeta has the
       entries' own (`attrList`), the ordered list (`attrListValue`) and the entries as
       definitions (`definitions`, each with its file, to feed into another option).
       Two declarations of such an option do not merge.
       Example: attrListOf str; attrListWith { elemType = str; asAttrs = true; } */
    attrListOf = elemType: types.attrListWith { inherit elemType; };

    attrListWith = { elemType, asAttrs ? false, mergeAttrValues ? (_: values: values) }@args:
      let
        description = "attribute list of ${phrase (c: c == "noun" || c == "composite") elemType}";
        accepts = x: isList x || isAttrs x;
        inherit (lib.modules) defaultOrderPriority defaultOverridePriority mkOverride mkOrder mkDefinition;
      in
      mkOptionType {
        name = "attrListOf";
        inherit description;
        descriptionClass = "composite";
        check = coherentCheck accepts;
        merge = mergeV2 ({ loc, defs }:
          let
            # A value's own mkOrder and mkOverride, in either nesting: the order is taken
            # off (it sorts the entries), the override stays (the element's merge applies it).
            unwrap = v:
              let t = v._type or null; in
              # (Field by field: an entry whose override loses is never looked into.)
              if t == "order" then
                let inner = unwrap v.content; in
                { order = v.priority; inherit (inner) override value; }
              else if t == "override" then
                let inner = unwrap v.content; in
                { override = v.priority; inherit (inner) order; value = mkOverride v.priority inner.value; }
              else { value = v; order = defaultOrderPriority; override = defaultOverridePriority; };

            bad = file: raw: why:
              throw "A definition for option `${showOption loc}' is not of type `${description}'. ${why}.${showDefs [ { inherit file; value = raw; } ]}";

            # One element of a list definition: a single-key attribute set, itself
            # perhaps under mkOrder.
            fromElement = file: raw:
              let
                ordered = (raw._type or null) == "order";
                item = if ordered then raw.content else raw;
                names = if isAttrs item then attrNames item else [ ];
                u = unwrap item.${head names};
              in
              if !(isAttrs item) then bad file raw "Each list element must be an attribute set, but got ${typeOf item}"
              else if length names != 1 then bad file raw "Each list element must be a single-key attribute set, but got ${toString (length names)} keys"
              else u // { inherit file; name = head names; order = if ordered then raw.priority else u.order; };

            entriesOf = d:
              if isList d.value then map (fromElement d.file) d.value
              else map (n: unwrap d.value.${n} // { inherit (d) file; name = n; }) (attrNames d.value);

            all' = concatMap entriesOf defs;
            # The strongest override per name; weaker entries of that name drop out.
            strongest = foldl' (acc: e: if e.override < (acc.${e.name} or defaultOverridePriority) then acc // { ${e.name} = e.override; } else acc) { } all';
            kept = builtins.sort (a: b: a.order < b.order)
              (filter (e: e.override == (strongest.${e.name} or defaultOverridePriority)) all');
            merged = filter (e: e.merge.isDefined)
              (map (e: e // { merge = mergeDefs (loc ++ [ e.name ]) elemType [ { inherit (e) file value; } ]; }) kept);
            ordered = map (e: { ${e.name} = e.merge.mergedValue; }) merged;
          in
          {
            headError = defsError accepts defs;
            value = if asAttrs then zipAttrsWith mergeAttrValues ordered else ordered;
            valueMeta = {
              attrList = map (e: e.merge.checkedAndMerged.valueMeta) merged;
              attrListValue = ordered;
              definitions = map (e: mkDefinition { inherit (e) file; value = mkOrder e.order { ${e.name} = e.merge.mergedValue; }; }) merged;
            };
          });
        emptyValue = { value = if asAttrs then { } else [ ]; };
        getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
        getSubModules = elemType.getSubModules;
        substSubModules = m: types.attrListWith (args // { elemType = elemType.substSubModules m; });
        typeMerge = _: null;
        nestedTypes.elemType = elemType;
      };

    /* Type: an attribute set whose values have type `elemType`; definitions are merged
       per attribute. Attribute names are strict (mkIf on a value is resolved to know
       whether the attribute exists). Example: attrsOf int */
    attrsOf = elemType: types.attrsWith { inherit elemType; };

    /* Type: like attrsOf, but attribute names do not depend on the values: an attribute
       defined only under a false mkIf is present and evaluates to the element type's
       empty value (or fails when read). Example: lazyAttrsOf raw */
    lazyAttrsOf = elemType: types.attrsWith { inherit elemType; lazy = true; };

    /* Type: attrsOf (lazy = false) or lazyAttrsOf (lazy = true), with `placeholder` the
       name that documentation shows for an attribute (`<name>` by default). Two
       declarations merge when their element types merge, their laziness agrees and
       their placeholders agree (or one is the default).
       Example: attrsWith { elemType = types.str; placeholder = "user"; } */
    attrsWith = { elemType, lazy ? false, placeholder ? "name" }:
      let
        plain = ds: length ds == 1 && !(isProperty (head ds).value);
        # One attribute's own merge (mergeDefinitions' result, or its lighter form for a
        # plain definition of a type with a v2 merge).
        full = loc: n: ds:
          if elemType.merge ? v2 && plain ds then lib.modules.mergePlainV2 (loc ++ [ n ]) elemType ds
          else mergeDefs (loc ++ [ n ]) elemType ds;
        value = loc: defs:
          let perAttr = attrDefs defs; in
          if lazy then
            mapAttrs
              (n: ds:
                if plain ds then
                  (if elemType.merge ? v2 then lib.modules.mergePlainV2Value (loc ++ [ n ]) elemType ds else mergeOne (loc ++ [ n ]) elemType ds)
                else
                  let m = full loc n ds; in
                  if m.isDefined then m.mergedValue else (elemType.emptyValue.value or m.mergedValue))
              perAttr
          else
            let
              merged = mapAttrs
                (n: ds:
                  if plain ds then
                    { value = if elemType.merge ? v2 then lib.modules.mergePlainV2Value (loc ++ [ n ]) elemType ds else mergeOne (loc ++ [ n ]) elemType ds; }
                  else (full loc n ds).optionalValue)
                perAttr;
            in
            listToAttrs (concatMap (n: let v = merged.${n}; in if v ? value then [ { name = n; value = v.value; } ] else [ ]) (attrNames merged));
        # Each attribute's own valueMeta, from merges of its own: computed only when read,
        # and not kept alive by the value (a submodule's evaluation would be). attrsOf
        # leaves out the attributes that end up undefined (mkIf false), as its value does.
        meta = loc: defs:
          let merges = mapAttrs (full loc) (attrDefs defs); in
          mapAttrs (n: m: m.checkedAndMerged.valueMeta)
            (if lazy then merges else lib.attrsets.filterAttrs (n: m: m.isDefined) merges);
      in
      mkOptionType {
      name = if lazy then "lazyAttrsOf" else "attrsOf";
      description = (if lazy then "lazy attribute set" else "attribute set")
        + " of ${phrase (c: c == "noun" || c == "composite") elemType}";
      descriptionClass = "composite";
      check = attrsCheck;
      merge = mergeV2 ({ loc, defs }: {
        headError = defsError isAttrs defs;
        value = value loc defs;
        valueMeta.attrs = meta loc defs;
      });
      emptyValue = { value = { }; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<${placeholder}>" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: types.attrsWith { elemType = elemType.substSubModules m; inherit lazy placeholder; };
      functor = (defaultFunctor "attrsWith") // {
        type = types.attrsWith;
        wrapped = elemType;
        payload = { inherit elemType lazy placeholder; };
        binOp = a: b:
          let
            elem = a.elemType.typeMerge b.elemType.functor;
            ph = if a.placeholder == b.placeholder then a.placeholder
              else if a.placeholder == "name" then b.placeholder
              else if b.placeholder == "name" then a.placeholder
              else null;
          in
          if elem == null || a.lazy != b.lazy || ph == null then null
          else { elemType = elem; lazy = a.lazy; placeholder = ph; };
      };
      nestedTypes.elemType = elemType;
    };

    /* Type: attrsOf, under its old name (lists of attribute sets are no longer
       accepted); deprecated. */
    loaOf = elemType: types.attrsOf elemType // {
      name = "loaOf";
      deprecationMessage = "types.loaOf no longer accepts lists; use types.attrsOf.";
      nestedTypes.elemType = elemType;
    };

    /* Type: null or a value of `elemType`. null must be the only definition when it is
       defined. Example: nullOr port */
    nullOr = elemType: mkOptionType {
      name = "nullOr";
      description = "null or ${phrase (c: c == "noun" || c == "conjunction") elemType}";
      descriptionClass = "conjunction";
      check = x: x == null || elemType.check x;
      merge = loc: defs:
        let nulls = filter (d: d.value == null) defs; in
        if nulls == [ ] then elemType.merge loc defs
        else if length nulls == length defs then null
        else throw "The option `${showOption loc}' is defined both null and not null:${showDefs defs}";
      emptyValue = { value = null; };
      getSubOptions = elemType.getSubOptions;
      getSubModules = elemType.getSubModules;
      substSubModules = m: types.nullOr (elemType.substSubModules m);
      functor = (defaultFunctor "nullOr") // { wrapped = elemType; type = types.nullOr; };
      nestedTypes.elemType = elemType;
    };

    /* Type: a function whose result has type `elemType`; several definitions are merged
       by merging their results. Example: functionTo (listOf str) */
    functionTo = elemType: mkOptionType {
      name = "functionTo";
      description = "function that evaluates to a(n) ${phrase (c: c == "noun" || c == "composite") elemType}";
      descriptionClass = "composite";
      check = isFunction;
      merge = loc: defs: arg:
        (mergeDefs (loc ++ [ "<function body>" ]) elemType (map (d: d // { value = d.value arg; }) defs)).mergedValue;
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<function body>" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: types.functionTo (elemType.substSubModules m);
      functor = (defaultFunctor "functionTo") // { wrapped = elemType; type = types.functionTo; };
      nestedTypes.elemType = elemType;
    };

    /* Type: `elemType`, defined only once. Example: uniq str */
    uniq = types.unique { message = ""; };

    /* Type: `elemType`, defined only once; `message` is added to the error.
       Example: unique { message = "Set it in one place only."; } str */
    unique = { message }: elemType: mkOptionType {
      name = "unique";
      inherit (elemType) description descriptionClass check emptyValue getSubOptions getSubModules;
      merge = mergeUniqueOption { inherit message; inherit (elemType) merge; };
      substSubModules = m: types.unique { inherit message; } (elemType.substSubModules m);
      functor = (defaultFunctor "unique") // { wrapped = elemType; type = types.unique { inherit message; }; };
      nestedTypes.elemType = elemType;
    };

    /* Type: a value of type t1 or t2. Definitions are merged with t1 when t1 takes them
       all (its check, or its v2 merge, finds no error), else with t2 when t2 does; else
       they are a type error ("neither ... nor ..."), or, where `either` is merged
       without that check (a freeformType of its own), one value with a warning.
       Example: either str (listOf str) */
    either = t1: t2: mkOptionType {
      name = "either";
      # "positive integer, meaning >0, or string": a left side with a clause of its own
      # gets a comma instead of parentheses.
      description =
        (if t1.descriptionClass or null == "nonRestrictiveClause" then "${t1.description},"
         else phrase (c: c == "noun" || c == "conjunction") t1)
        + " or ${phrase (c: c == "noun" || c == "conjunction" || c == "composite") t2}";
      descriptionClass = "conjunction";
      check = coherentCheck (x: t1.check x || t2.check x);
      merge = mergeV2 ({ loc, defs }:
        let
          r1 = checkedMerge loc t1 defs;
          r2 = checkedMerge loc t2 defs;
          neither = {
            message = "The option `${showOption loc}' is neither ${t1.description} nor ${t2.description}. Definition values:${showDefs defs}";
          };
        in
        if r1.headError == null then r1
        else if r2.headError == null then r2
        else {
          headError = neither;
          valueMeta.headError = neither;
          # Neither type takes them all: merged as one value, with the warning nixpkgs
          # gives (it happens where `either` is a freeformType, which gets the unmatched
          # attributes as one attribute set).
          value = lib.trivial.warn
            ("One or more definitions did not pass the type-check of the 'either' type: ${neither.message}\n"
              + "A freeformType takes all attributes no option declares as one set: write it as types.attrsOf (types.either ...). Elsewhere, give the option the type its values have. (nixpkgs makes this an error from 26.05.)")
            (mergeOneOption loc defs);
        });
      typeMerge = f':
        let
          m1 = t1.typeMerge (elemAt f'.wrapped 0).functor;
          m2 = t2.typeMerge (elemAt f'.wrapped 1).functor;
        in
        if f'.name == "either" && m1 != null && m2 != null then types.either m1 m2 else null;
      functor = (defaultFunctor "either") // { wrapped = [ t1 t2 ]; };
      nestedTypes = { left = t1; right = t2; };
    };

    /* Type: a value of any of the listed types. Example: oneOf [ int str ] */
    oneOf = ts:
      if ts == [ ] then throw "types.oneOf needs at least one type"
      else foldl' types.either (head ts) (tail ts);

    /* Type: `finalType`, also accepting `coercedType` values converted by `coerceFunc`.
       Example: coercedTo str (s: [ s ]) (listOf str) */
    coercedTo = coercedType: coerceFunc: finalType:
      let accepts = x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x; in
      if coercedType.getSubModules != null then
        throw "types.coercedTo: the type to convert from cannot have submodules (it is ${coercedType.description})"
      else mkOptionType {
      name = "coercedTo";
      description = "${phrase (c: c == "noun") finalType} or ${phrase (c: c == "noun") coercedType} convertible to it";
      check = coherentCheck accepts;
      # Every definition coercedType takes is converted (also one finalType would take
      # as it is), as nixpkgs does.
      merge = mergeV2 ({ loc, defs }:
        let
          takes = d:
            if coercedType.merge ? v2 then (coherent loc coercedType (coercedType.merge.v2 { inherit loc; defs = [ d ]; })).headError == null
            else coercedType.check d.value;
          finalDefs = map (d: if takes d then d // { value = coerceFunc d.value; } else d) defs;
        in
        if finalType.merge ? v2 then coherent loc finalType (finalType.merge.v2 { inherit loc; defs = finalDefs; })
        else {
          headError = defsError accepts defs;
          value = finalType.merge loc finalDefs;
          valueMeta = { };
        });
      emptyValue = finalType.emptyValue;
      getSubOptions = finalType.getSubOptions;
      getSubModules = finalType.getSubModules;
      substSubModules = m: types.coercedTo coercedType coerceFunc (finalType.substSubModules m);
      typeMerge = _: null;
      functor = (defaultFunctor "coercedTo") // { wrapped = finalType; };
      nestedTypes = { inherit coercedType finalType; };
    };

    /* Type: a module evaluated inside the option (a nested evaluation per value).
       Attribute-set definitions are configuration only. Example: submodule { options.x = mkOption { }; } */
    submodule = modules: types.submoduleWith {
      shorthandOnlyDefinesConfig = true;
      modules = if isList modules then modules else [ modules ];
    };

    /* Type: a nested module evaluation with static `modules`, extra `specialArgs`, and
       the option's definitions as further modules. `_module.args.name` is the last
       element of the option path (the attribute name under attrsOf).

       Example: submoduleWith { modules = [ ./node.nix ]; specialArgs = { inherit nodes; }; }
    */
    submoduleWith =
      { modules
      , specialArgs ? { }
      , shorthandOnlyDefinesConfig ? false
      , description ? null
      , class ? null
      }@attrs:
      let
        asModules = defs: map
          (d:
            if shorthandOnlyDefinesConfig && isAttrs d.value && !(d.value ? _type && d.value._type == "if")
            then { _file = d.file; config = d.value; }
            else { _file = d.file; imports = [ d.value ]; })
          defs;
        nameModule = name: { _file = "<submodule name>"; key = "_nixmesh-submodule-name"; config._module.args.name = name; };
        evalWith = prefix: extra: evalAt prefix extra [ ];
        evalAt = prefix: extra: definitionLocations: lib.modules.evalModules {
          inherit specialArgs prefix class definitionLocations;
          modules = modules ++ extra;
        };
        docEval = prefix: evalWith prefix [ (nameModule (if prefix == [ ] then "<name>" else last' prefix)) ];
        isModule = x: isAttrs x || isFunction x || types.path.check x;
        evalDefs = loc: defs: evalAt loc ([ (nameModule (if loc == [ ] then "<name>" else last' loc)) ] ++ asModules defs)
          (lib.lists.unique (map lib.options.showDefLocation (filter (d: d.file != "<unknown-file>") defs)));
      in
      mkOptionType {
        name = "submodule";
        # "open submodule of T" when the modules declare a freeform type T.
        description =
          if description != null then description
          else
            let freeform = (docEval [ ])._module.freeformType or null; in
            if freeform == null then "submodule"
            else "open submodule of ${phrase (c: c == "noun" || c == "composite") freeform}";
        descriptionClass = null;
        check = coherentCheck isModule;
        # valueMeta.configuration: the whole evaluation (options with their values and
        # definitions), whose `config` is the option's value. An evaluation of its own,
        # made only when read: the value does not keep every submodule's options alive.
        merge = mergeV2 ({ loc, defs }: {
          headError = defsError isModule defs;
          # nixpkgs' submodule cannot take a definition under mkOrder (NixOS fails with
          # "called with unexpected argument 'priority'"): refused here too, and said why.
          value =
            let ordered = filter (d: d.ordered or false) defs; in
            if ordered != [ ] then
              throw "The option `${showOption loc}' is a submodule; a definition of it is under mkOrder/mkBefore/mkAfter, which NixOS's module system cannot take for a submodule (it fails with \"called with unexpected argument 'priority'\"). Order the options inside instead.${showDefs ordered}"
            else (evalDefs loc defs).config;
          valueMeta = { configuration = evalDefs loc defs; };
        });
        # Not defined at all: the modules' own defaults.
        emptyValue = { value = (evalWith [ ] [ (nameModule "<name>") ]).config; };
        getSubOptions = prefix:
          let
            e = docEval prefix;
            freeform = e._module.freeformType or null;
          in
          removeAttrs e.options [ "_module" ]
          # What a freeform type declares for the attributes it takes (documentation
          # tools read it; not an option of this submodule).
          // (if freeform == null then { } else { _freeformOptions = freeform.getSubOptions prefix; });
        getSubModules = modules;
        substSubModules = m: types.submoduleWith (attrs // { modules = m; });
        nestedTypes = { };
        functor = (defaultFunctor "submoduleWith") // {
          type = types.submoduleWith;
          payload = { inherit modules specialArgs shorthandOnlyDefinesConfig description class; };
          binOp = a: b: {
            modules = a.modules ++ b.modules;
            specialArgs = a.specialArgs // b.specialArgs;
            shorthandOnlyDefinesConfig =
              if a.shorthandOnlyDefinesConfig == b.shorthandOnlyDefinesConfig then a.shorthandOnlyDefinesConfig
              else throw "A submoduleWith option is declared multiple times with conflicting shorthandOnlyDefinesConfig values";
            description = if a.description == null then b.description else a.description;
            class =
              if a.class == null then b.class
              else if b.class == null || a.class == b.class then a.class
              else throw "A submoduleWith option is declared multiple times with conflicting class values \"${toString a.class}\" and \"${toString b.class}\".";
          };
        };
      };

    /* Type: an attribute set with exactly one attribute, whose name (the tag) picks which
       option of `tags` types its value: a tagged union. `tags` maps each tag to an
       option (mkOption); documentation shows them as sub-options. Two declarations merge
       their tags (a tag in both merges like an option declared twice).
       Example: attrTag { port = mkOption { type = port; }; socket = mkOption { type = str; }; } */
    attrTag = tags0:
      let
        tagNames = attrNames tags0;
        choices = concatStringsSep ", " (map lib.strings.escapeNixIdentifier tagNames);
        tags = mapAttrs
          (n: opt:
            let pos = unsafeGetAttrPos n tags0; in
            if (opt._type or null) != "option" then
              throw ("In attrTag, each tag value must be an option, but tag ${lib.strings.escapeNixIdentifier n} "
                + (if (opt._type or null) == "option-type" then "was a bare type, not wrapped in mkOption."
                   else if opt ? _type then "was of type ${lib.strings.escapeNixString opt._type}."
                   else "was not.")
                + (if pos == null then "" else " (at ${pos.file}:${toString pos.line})"))
            else opt // {
              declarations = opt.declarations or (if pos == null then [ ] else [ pos.file ]);
              declarationPositions = opt.declarationPositions or (if pos == null then [ ] else [ pos ]);
            })
          tags0;
        tagOf = v: head (attrNames v);
      in
      mkOptionType {
        name = "attrTag";
        description = "attribute-tagged union with choices: ${choices}";
        descriptionClass = "noun";
        check = v: isAttrs v && length (attrNames v) == 1 && tags ? ${tagOf v};
        merge = loc: defs:
          let
            tag = tagOf (head defs).value;
            others = filter (d: tagOf d.value != tag) defs;
            tagDefs = map (d: { inherit (d) file; value = d.value.${tag}; pos = unsafeGetAttrPos tag d.value; }) defs;
            opt = tags.${tag};
            withDefault = (if opt ? default then [ { file = head (opt.declarations ++ [ "<attrTag>" ]); value = lib.modules.mkOptionDefault opt.default; } ] else [ ]) ++ tagDefs;
            merged = (mergeDefs (loc ++ [ tag ]) opt.type withDefault).mergedValue;
          in
          if others != [ ] then
            throw "The option `${showOption loc}' is defined both as `${tag}' and `${tagOf (head others).value}', in ${showFiles (lib.lists.unique (map (d: toString d.file) defs))}."
          else { ${tag} = if opt ? apply && opt.apply != null then opt.apply merged else merged; };
        getSubOptions = prefix: mapAttrs (n: opt: opt // { loc = prefix ++ [ n ]; }) tags;
        nestedTypes = tags;
        functor = (defaultFunctor "attrTag") // {
          type = p: types.attrTag p.tags;
          payload = { inherit tags; };
          binOp = a: b: {
            tags = a.tags // b.tags // mapAttrs
              (n: bOpt:
                let
                  aOpt = a.tags.${n};
                  type = if aOpt ? type && bOpt ? type then aOpt.type.typeMerge bOpt.type.functor else aOpt.type or bOpt.type or null;
                in
                if type == null then throw "attrTag: the tag `${n}' is declared twice with types that do not merge (`${aOpt.type.description}' and `${bOpt.type.description}')."
                else aOpt // bOpt // {
                  inherit type;
                  declarations = aOpt.declarations ++ bOpt.declarations;
                  declarationPositions = aOpt.declarationPositions ++ bOpt.declarationPositions;
                })
              (builtins.intersectAttrs a.tags b.tags);
          };
        };
      };

    /* Type: a module that is not evaluated here; definitions are collected into one
       module `{ imports = [ ... ]; }` to be evaluated elsewhere (e.g. a node's host
       configuration). Example: deferredModuleWith { staticModules = [ ./base.nix ]; } */
    deferredModule = types.deferredModuleWith { };

    deferredModuleWith = { staticModules ? [ ] }: mkOptionType {
      name = "deferredModule";
      description = "module";
      descriptionClass = "noun";
      check = x: isAttrs x || isFunction x || types.path.check x;
      merge = loc: defs: {
        # Each definition keeps its file and says which option brought it: messages read
        # "FILE, via option OPTION".
        imports = staticModules ++ map (d: { _file = "${toString d.file}, via option ${showOption loc}"; imports = [ d.value ]; }) defs;
      };
      getSubOptions = _: { };
      getSubModules = null;
      substSubModules = m: types.deferredModuleWith { staticModules = m; };
      functor = (defaultFunctor "deferredModuleWith") // {
        type = types.deferredModuleWith;
        payload = { inherit staticModules; };
        binOp = a: b: { staticModules = a.staticModules ++ b.staticModules; };
      };
    };
  };
in
types
