# String helpers. Names, argument orders and semantics follow nixpkgs' `lib.strings`;
# the code is our own.
{ lib }:
let
  inherit (builtins) concatStringsSep stringLength substring genList length elemAt head
    filter isString isPath match split replaceStrings toJSON fromJSON compareVersions
    parseDrvName;

  lowerLetters = "abcdefghijklmnopqrstuvwxyz";
  upperLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

  charsOf = s: genList (i: substring i 1 s) (stringLength s);

  # { CHAR = CODE; } for tab, newline, carriage return and printable ASCII (32-126).
  asciiCodes = builtins.listToAttrs (map
    (code: {
      name = fromJSON "\"\\u00${fixedHex code}\"";
      value = code;
    })
    ([ 9 10 13 ] ++ genList (i: i + 32) 95));
  fixedHex = code:
    let d = "0123456789abcdef"; in
    substring (code / 16) 1 d + substring (code - (code / 16) * 16) 1 d;
in
rec {
  inherit (builtins) concatStringsSep stringLength substring replaceStrings match split
    toJSON fromJSON readFile isString compareVersions splitVersion parseDrvName
    unsafeDiscardStringContext hasContext storeDir appendContext
    # nixpkgs' lib.strings passes these builtins on as well.
    elem elemAt filter genList head tail isAttrs isInt isList isPath typeOf;

  # The letters, as lists of one-character strings.
  lowerChars = charsOf lowerLetters;
  upperChars = charsOf upperLetters;

  # ---------------------------------------------------------------- concatenation

  # Join without separator.   concatStrings [ "a" "b" ] => "ab"
  concatStrings = concatStringsSep "";

  # Map then join.   concatMapStrings (x: x + "-") [ "a" "b" ] => "a-b-"
  concatMapStrings = f: list: concatStrings (map f list);

  # Map with a 1-based index, then join.
  concatImapStrings = f: list: concatStrings (lib.imap1 f list);

  # Put the separator between elements (a list in, a list out).
  # Example: intersperse "," [ "a" "b" ] => [ "a" "," "b" ]
  intersperse = sep: list:
    if length list < 2 then list
    else builtins.tail (builtins.concatMap (x: [ sep x ]) list);

  # Map then join with a separator.
  concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);

  # Map with a 1-based index, then join with a separator.
  concatImapStringsSep = sep: f: list: concatStringsSep sep (lib.imap1 f list);

  # Every element followed by a newline.   concatLines [ "a" "b" ] => "a\nb\n"
  concatLines = concatMapStrings (s: s + "\n");

  # Render every attribute with f name value and join with sep.
  concatMapAttrsStringSep = sep: f: attrs:
    concatStringsSep sep (lib.mapAttrsToList f attrs);

  # "p1/sub:p2/sub", skipping nulls.
  # Example: makeSearchPath "bin" [ "/a" "/b" ] => "/a/bin:/b/bin"
  makeSearchPath = subDir: paths:
    concatStringsSep ":" (map (p: p + "/" + subDir) (filter (p: p != null) paths));

  # Like makeSearchPath, using the given output of each package.
  makeSearchPathOutput = output: subDir: pkgs:
    makeSearchPath subDir (map (lib.getOutput output) pkgs);
  makeBinPath = makeSearchPathOutput "bin" "bin";
  makeLibraryPath = makeSearchPathOutput "lib" "lib";

  # The string when cond holds, else "".
  optionalString = cond: s: if cond then s else "";

  # ---------------------------------------------------------------- tests

  # Whether str starts / ends with the given string.
  # Example: hasPrefix "foo" "foobar" => true
  hasPrefix = pre: str: substring 0 (stringLength pre) str == pre;
  hasSuffix = suf: str:
    let
      ls = stringLength str;
      lf = stringLength suf;
    in
    ls >= lf && substring (ls - lf) lf str == suf;

  # Whether str contains the given string.
  # Example: hasInfix "ob" "foobar" => true
  hasInfix = inf: str:
    inf == "" || length (split (escapeRegex inf) (toString str)) > 1;

  # Whether the value can be used where a string is expected (strings, paths,
  # derivations and other attrsets with outPath or __toString).
  isStringLike = x:
    isString x || isPath x || (builtins.isAttrs x && (x ? outPath || x ? __toString));

  # Whether the value is a path directly inside the Nix store (not a file below one).
  isStorePath = x:
    if isStringLike x then
      let s = toString x; in
      substring 0 1 s == "/"
      && builtins.dirOf s == builtins.storeDir
      && match "[0-9a-z]{32}-.+" (builtins.baseNameOf s) != null
    else false;

  # Whether the string is a valid POSIX shell variable name.
  isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;

  # ---------------------------------------------------------------- characters

  # One-character strings.   stringToCharacters "ab" => [ "a" "b" ]
  stringToCharacters = charsOf;

  # Map every character to a string and join.
  stringAsChars = f: s: concatStrings (map f (charsOf s));

  toUpper = replaceStrings lowerChars upperChars;
  toLower = replaceStrings upperChars lowerChars;

  # ---------------------------------------------------------------- escaping

  # Backslash-escape every character of the list.
  # Example: escape [ "(" ")" ] "(x)" => "\\(x\\)"
  escape = chars: replaceStrings chars (map (c: "\\" + c) chars);

  # Quote for a POSIX shell when needed: safe strings stay as they are; anything
  # else goes in single quotes.
  # Example: escapeShellArg "it's" => "'it'\\''s'"
  escapeShellArg = arg:
    let s = toString arg; in
    if match "[[:alnum:],._+:@%/-]+" s != null then s
    else "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  # Quote each and join with spaces.
  escapeShellArgs = concatMapStringsSep " " escapeShellArg;

  # A Nix string literal for the string (double-quoted, `$` escaped).
  # Example: escapeNixString "a${b}" => "\"a\\${b}\""
  escapeNixString = s: escape [ "$" ] (toJSON s);

  # The string as a Nix identifier, quoted when it is not a plain one.
  # Example: escapeNixIdentifier "a.b" => "\"a.b\""
  escapeNixIdentifier = s:
    if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null then s else escapeNixString s;

  # Escape the POSIX extended regex special characters.
  escapeRegex = escape (charsOf "\\[{()^$?*+|.");

  # Escape the five XML special characters.
  escapeXML = replaceStrings
    [ "\"" "'" "<" ">" "&" ]
    [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];

  # A shell assignment for name (scalar, indexed array for lists, associative array
  # for attribute sets).
  toShellVar = name: value:
    lib.throwIfNot (isValidPosixName name) "toShellVar: ${name} is not a valid shell variable name" (
      if builtins.isAttrs value && !isStringLike value then
        "declare -A ${name}=(${concatStringsSep " " (lib.mapAttrsToList (n: v: "[${escapeShellArg n}]=${escapeShellArg v}") value)})"
      else if builtins.isList value then
        "declare -a ${name}=(${escapeShellArgs value})"
      else
        "${name}=${escapeShellArg value}");

  # Shell assignments for every attribute, one per line.
  toShellVars = vars: concatStringsSep "\n" (lib.mapAttrsToList toShellVar vars);

  # ---------------------------------------------------------------- slicing

  # Give target the string context of src.
  addContextFrom = src: target: substring 0 0 src + target;

  # Split at every occurrence of the separator (a literal string, not a regex).
  # Example: splitString "." "a.b..c" => [ "a" "b" "" "c" ]
  splitString = sep: s:
    map (addContextFrom s)
      (filter isString (split (escapeRegex (toString sep)) (toString s)));

  # Drop a prefix / suffix when present.
  # Example: removePrefix "foo." "foo.bar" => "bar"
  removePrefix = pre: str:
    let lp = stringLength pre; in
    if substring 0 lp str == pre then substring lp (stringLength str - lp) str else str;
  removeSuffix = suf: str:
    let
      ls = stringLength str;
      lf = stringLength suf;
    in
    if ls >= lf && substring (ls - lf) lf str == suf then substring 0 (ls - lf) str else str;

  # Replace every occurrence of one string.
  replaceString = from: to: replaceStrings [ from ] [ to ];

  # Remove leading and/or trailing whitespace (space, tab, CR, LF).
  # Example: trim "  a b \n" => "a b"
  trim = trimWith { start = true; end = true; };
  trimWith = { start ? false, end ? false }: s:
    let
      ws = "[ \t\r\n]*";
      re =
        if start && end then "${ws}(.*[^ \t\r\n])${ws}"
        else if start then "${ws}([^ \t\r\n].*)"
        else if end then "(.*[^ \t\r\n])${ws}"
        else "(.*)";
      m = match re s;
    in
    if m == null then "" else head m;

  # Length of the longest common prefix / suffix of two strings.
  commonPrefixLength = a: b:
    let
      n = lib.min (stringLength a) (stringLength b);
      go = i: if i < n && substring i 1 a == substring i 1 b then go (i + 1) else i;
    in
    go 0;
  commonSuffixLength = a: b:
    let
      la = stringLength a;
      lb = stringLength b;
      n = lib.min la lb;
      go = i:
        if i < n && substring (la - i - 1) 1 a == substring (lb - i - 1) 1 b
        then go (i + 1) else i;
    in
    go 0;

  # A file's contents without its trailing newline.
  fileContents = file: removeSuffix "\n" (builtins.readFile file);

  # Collapse repeated slashes.   normalizePath "/a//b" => "/a/b"
  normalizePath = s:
    let parts = filter isString (split "/+" s); in
    concatStringsSep "/" parts;

  # ---------------------------------------------------------------- versions & names

  # Whether v1 is older than / at least v2 (builtins.compareVersions order).
  # Example: versionOlder "1.9" "1.10" => true
  versionOlder = v1: v2: compareVersions v2 v1 == 1;
  versionAtLeast = v1: v2: !(versionOlder v1 v2);

  # Components of a version string: lib.versions.major "1.2.3" => "1".
  versions = {
    splitVersion = builtins.splitVersion;
    major = v: elemAt (builtins.splitVersion v) 0;
    minor = v: elemAt (builtins.splitVersion v) 1;
    patch = v: elemAt (builtins.splitVersion v) 2;
    majorMinor = v:
      let p = builtins.splitVersion v; in
      concatStringsSep "." [ (elemAt p 0) (elemAt p 1) ];
    pad = n: v:
      let
        p = builtins.splitVersion v;
        extra = n - length p;
      in
      concatStringsSep "." (lib.take n p ++ genList (_: "0") (if extra > 0 then extra else 0));
  };

  # The name / version of a package or of a "name-version" string.
  # Example: getName "hello-2.12" => "hello"; getVersion "hello-2.12" => "2.12"
  getName = x:
    if isString x then (parseDrvName x).name
    else x.pname or (parseDrvName x.name).name;
  getVersion = x:
    if isString x then (parseDrvName x).version
    else x.version or (parseDrvName x.name).version;

  # configure-style flags.
  # Example: enableFeature true "shared" => "--enable-shared"
  enableFeature = flag: feature:
    "--${if flag then "enable" else "disable"}-${feature}";
  enableFeatureAs = flag: feature: value:
    enableFeature flag feature + optionalString flag "=${value}";
  withFeature = flag: feature:
    "--${if flag then "with" else "without"}-${feature}";
  withFeatureAs = flag: feature: value:
    withFeature flag feature + optionalString flag "=${value}";

  # A string usable as a derivation name: invalid characters become "-", leading
  # dots are dropped, at most 207 characters, "unknown" when nothing is left.
  sanitizeDerivationName = s:
    let
      noDots = let m = match "\\.*(.*)" s; in head m;
      parts = split "[^[:alnum:]+._?=-]+" noDots;
      replaced = concatStringsSep "" (map (p: if isString p then p else "-") parts);
      cut = substring 0 207 replaced;
    in
    if cut == "" then "unknown" else cut;

  # ---------------------------------------------------------------- generators

  # Renderers of configuration files, as nixpkgs' lib.generators (same names, options
  # and output format).
  generators = rec {
    # Render a scalar for key=value formats: strings as they are, ints, bools as
    # true/false, null as "null", paths and derivations as their path.
    mkValueStringDefault = { }: v:
      # abort, not throw: nixpkgs aborts here (tryEval cannot catch it).
      let fail = what: abort "generators.mkValueStringDefault: ${what} not supported: ${toPretty { multiline = false; } v}"; in
      if builtins.isInt v then toString v
      else if lib.isDerivation v then toString v
      else if isString v then v
      else if v == true then "true"
      else if v == false then "false"
      else if v == null then "null"
      else if isPath v then toString v
      else if builtins.isFloat v then toString v
      else if builtins.isList v then fail "lists"
      else if builtins.isAttrs v then fail "attrsets"
      else if builtins.isFunction v then fail "functions"
      else fail "this value";

    # key<sep>value, with sep escaped in the key.
    mkKeyValueDefault = { mkValueString ? mkValueStringDefault { } }: sep: k: v:
      "${escape [ sep ] k}${sep}${mkValueString v}";

    # One "key=value" line per attribute (per list element with listsAsDuplicateKeys).
    # Example: toKeyValue { } { a = 1; b = "x"; } => "a=1\nb=x\n"
    toKeyValue =
      { mkKeyValue ? mkKeyValueDefault { } "="
      , listsAsDuplicateKeys ? false
      , indent ? ""
      }: attrs:
      let
        line = k: v: indent + mkKeyValue k v + "\n";
        lines =
          if listsAsDuplicateKeys then k: v: map (line k) (if builtins.isList v then v else [ v ])
          else k: v: [ (line k v) ];
      in
      concatStrings (builtins.concatLists (lib.mapAttrsToList lines attrs));

    # INI: a [section] per attribute, its attributes as key=value lines; sections
    # separated by an empty line.
    # Example: toINI { } { s = { a = 1; }; } => "[s]\na=1\n"
    toINI =
      { mkSectionName ? (name: escape [ "[" "]" ] name)
      , mkKeyValue ? mkKeyValueDefault { } "="
      , listsAsDuplicateKeys ? false
      }: sections:
      concatStringsSep "\n" (lib.mapAttrsToList
        (name: values: "[${mkSectionName name}]\n" + toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } values)
        sections);

    # INI with key=value lines before the first section.
    toINIWithGlobalSection =
      { mkSectionName ? (name: escape [ "[" "]" ] name)
      , mkKeyValue ? mkKeyValueDefault { } "="
      , listsAsDuplicateKeys ? false
      }: { globalSection, sections ? { } }:
      (if globalSection == { } then ""
       else toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } globalSection
         + (if sections == { } then "" else "\n"))
      + toINI { inherit mkSectionName mkKeyValue listsAsDuplicateKeys; } sections;

    # git-config syntax: a nested set `{ a.b.c = v; }` is the section [a "b"] with key c;
    # strings quoted and escaped, lists as repeated keys, indented by a tab.
    # Example: toGitINI { user.name = "me"; url."git@x:".insteadOf = "x"; }
    #   => "[url \"git@x:\"]\n\tinsteadOf = \"x\"\n\n[user]\n\tname = \"me\"\n"
    toGitINI =
      let
        sectionName = name:
          let parts = splitString "." name; in
          if hasInfix "\"" name || length parts == 1 then name
          else "${head parts} \"${concatStringsSep "." (builtins.tail parts)}\"";
        quoted = replaceStrings [ "\n" "\t" "\"" "\\" ] [ "\\n" "\\t" "\\\"" "\\\\" ];
        valueString = v: mkValueStringDefault { } (if isString v then "\"${quoted v}\"" else v);
        keyValue = k: v:
          let line = x: "\t" + mkKeyValueDefault { mkValueString = valueString; } " = " k x; in
          if builtins.isList v then concatStringsSep "\n" (map line v) else line v;
        plainSet = v: builtins.isAttrs v && !(lib.attrsets.isDerivation v);
        # { a = { b = { c = v; }; }; } -> { "a.b" = { c = v; }; } for sets holding sets.
        flatten = attrs:
          let
            nested = filter (n: builtins.isAttrs attrs.${n} && builtins.any plainSet (builtins.attrValues attrs.${n})) (builtins.attrNames attrs);
            walk = path: v:
              if plainSet v then builtins.concatMap (n: walk (path ++ [ n ]) v.${n}) (builtins.attrNames v)
              else [ (lib.attrsets.setAttrByPath [ (concatStringsSep "." (lib.lists.init path)) (lib.lists.last path) ] v) ];
          in
          builtins.removeAttrs attrs nested
          // builtins.foldl' lib.attrsets.recursiveUpdate { } (walk [ ] (lib.attrsets.getAttrs nested attrs));
      in
      attrs: toINI { mkSectionName = sectionName; mkKeyValue = keyValue; } (flatten attrs);

    # The value with everything deeper than depthLimit replaced: by an error when it is
    # evaluated (throwOnDepthLimit), or by "<unevaluated>". For printing values that
    # might be infinite. __functor, __functionArgs, __toString and __pretty are kept.
    withRecursion = { depthLimit, throwOnDepthLimit ? true }:
      assert builtins.isInt depthLimit;
      let
        special = [ "__functor" "__functionArgs" "__toString" "__pretty" ];
        cap = depth: x:
          if depthLimit != null && depth > depthLimit then
            (if throwOnDepthLimit
             then builtins.throw "Exceeded maximum eval-depth limit of ${toString depthLimit} while trying to evaluate with `generators.withRecursion'!"
             else "<unevaluated>")
          else x;
        walk = depth: v:
          let next = x: walk (depth + 1) (cap (depth + 1) x); in
          if builtins.isAttrs v then builtins.mapAttrs (n: x: if builtins.elem n special then x else next x) v
          else if builtins.isList v then map next v
          else cap (depth + 1) v;
      in
      walk 0;

    # JSON (YAML is a superset of JSON).
    toJSON = { }: builtins.toJSON;
    toYAML = { }: builtins.toJSON;

    # Nix-like rendering of any value, for messages and documentation.
    # Example: toPretty { } { a = [ 1 ]; } => "{\n  a = [\n    1\n  ];\n}"
    toPretty = { allowPrettyValues ? false, multiline ? true, indent ? "" }:
      let
        go = ind: v:
          let
            open = if multiline then "\n${ind}  " else " ";
            close = if multiline then "\n${ind}" else " ";
          in
          if builtins.isInt v || builtins.isFloat v then toString v
          else if isString v then
            let
              lines = filter isString (split "\n" v);
              single = "\"" + concatStringsSep "\\n" (map (escape [ "\\" "\"" "\${" ]) lines) + "\"";
              escapedLines = map (replaceStrings [ "\${" "''" ] [ "''\${" "'''" ]) lines;
              lastLine = lib.last escapedLines;
              multi = "''" + open + concatStringsSep open (lib.init escapedLines)
                + (if lastLine == "" then close else open + lastLine) + "''";
            in
            if multiline && length lines > 1 then multi else single
          else if v == true then "true"
          else if v == false then "false"
          else if v == null then "null"
          else if isPath v then toString v
          else if builtins.isList v then
            if v == [ ] then "[ ]"
            else "[" + open + concatStringsSep open (map (go (ind + "  ")) v) + close + "]"
          else if builtins.isFunction v then
            let
              args = builtins.functionArgs v;
              shown = concatStringsSep ", " (lib.mapAttrsToList (n: hasDefault: if hasDefault then n + "?" else n) args);
            in
            if args == { } then "<function>" else "<function, args: {${shown}}>"
          else if builtins.isAttrs v then
            if allowPrettyValues && v ? __pretty && v ? val then v.__pretty v.val
            else if v == { } then "{ }"
            else if (v.type or null) == "derivation" then "<derivation ${v.name or "???"}>"
            else "{" + open
              + concatStringsSep open (lib.mapAttrsToList
                (n: x: "${escapeNixIdentifier n} = ${builtins.addErrorContext "while evaluating an attribute `${n}`" (go (ind + "  ") x)};")
                v)
              + close + "}"
          else abort "generators.toPretty: should never happen (v = ${builtins.typeOf v})";
      in
      go indent;
  };

  # ---------------------------------------------------------------- padding & numbers

  # Left-pad str with filler to width; fails when str is longer than width.
  # Example: fixedWidthString 5 "0" "12" => "00012"
  fixedWidthString = width: filler: str:
    let
      l = stringLength str;
      pad = width - l;
    in
    assert lib.assertMsg (l <= width)
      "fixedWidthString: requested string length (${toString width}) must not be shorter than actual length (${toString l})";
    concatStrings (genList (_: filler) pad) + str;

  # Zero-padded decimal.   fixedWidthNumber 3 7 => "007"
  fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);

  # Parse a decimal integer, allowing surrounding whitespace. Leading zeros are
  # refused (ambiguous with octal); see toIntBase10 to accept them.
  # Example: toInt " 42 " => 42
  toInt = str:
    let
      m = match "[[:space:]]*(-?[[:digit:]]+)[[:space:]]*" str;
      digits = head m;
      v = fromJSON digits;
    in
    if m == null then throw "toInt: Could not convert ${escapeNixString str} to int."
    else if match "-?0[[:digit:]]+" digits != null then
      throw "toInt: Ambiguity in interpretation of ${escapeNixString str} between octal and zero padded integer."
    else if !builtins.isInt v then throw "toInt: Could not convert ${escapeNixString str} to int."
    else v;

  # Parse a decimal integer, allowing surrounding whitespace and leading zeros.
  # Example: toIntBase10 "007" => 7
  toIntBase10 = str:
    let
      m = match "[[:space:]]*(-?)0*([[:digit:]]+)[[:space:]]*" str;
      v = fromJSON (head (builtins.tail m));
    in
    if m == null then throw "toIntBase10: Could not convert ${escapeNixString str} to int."
    else if !builtins.isInt v then throw "toIntBase10: Could not convert ${escapeNixString str} to int."
    else if head m == "-" then 0 - v
    else v;

  # The edit distance between two strings: the fewest insertions, deletions and
  # substitutions of one character that turn `a` into `b` (one row of the table at a time).
  # levenshtein "enble" "enable" => 1
  levenshtein = a: b:
    let
      as = charsOf a;
      bs = charsOf b;
      lb = length bs;
      step = row: ca:
        let
          next = builtins.foldl'
            (acc: j:
              let
                cost = if ca == elemAt bs j then 0 else 1;
                v = lib.trivial.min (lib.trivial.min (elemAt row (j + 1) + 1) (acc.last + 1)) (elemAt row j + cost);
              in
              { last = v; cells = acc.cells ++ [ v ]; })
            { last = head row + 1; cells = [ (head row + 1) ]; }
            (genList (j: j) lb);
        in
        next.cells;
    in
    lib.lists.last (builtins.foldl' step (genList (j: j) (lb + 1)) as);

  # Whether the edit distance is at most `k`; strings whose lengths differ by more than
  # `k` are ruled out without computing it.
  # levenshteinAtMost 2 "enble" "enabled" => true
  levenshteinAtMost = k: a: b:
    let d = stringLength a - stringLength b; in
    (if d < 0 then 0 - d else d) <= k && levenshtein a b <= k;

  # ---------------------------------------------------------------- added to match nixpkgs' lib.strings

  # concatStringsSep under a shorter name.   join ", " [ "a" "b" ] => "a, b"
  join = concatStringsSep;

  # The string repeated n times (lib.strings.replicate; at the top of lib, replicate is
  # the list function, as in nixpkgs).   strings.replicate 3 "ab" => "ababab"
  replicate = n: s: concatStrings (lib.lists.replicate n s);

  # The code of a character: printable ASCII, tab, newline and carriage return.
  # charToInt "A" => 65
  charToInt = c: builtins.getAttr c asciiCodes;

  # Escape the given characters as C-style \xNN.   escapeC [ " " ] "a b" => "a\x20b"
  escapeC = chars: replaceStrings chars (map (c: "\\x${fixedWidthString 2 "0" (toLower (lib.trivial.toHexString (charToInt c)))}") chars);

  # Percent-encode everything but RFC 3986's unreserved characters (ASCII only).
  # escapeURL "a b/c" => "a%20b%2Fc"
  escapeURL =
    let
      unreserved = lowerChars ++ upperChars ++ charsOf "0123456789-_.~";
      escaped = builtins.removeAttrs asciiCodes unreserved;
      names = builtins.attrNames escaped;
    in
    replaceStrings names (map (c: "%${fixedWidthString 2 "0" (lib.trivial.toHexString escaped.${c})}") names);

  # toString of a float, with a warning when the text does not read back as the same number.
  floatToString = float:
    let text = toString float; in
    lib.trivial.warnIf (float != fromJSON text) "Imprecise conversion from float to string ${text}" text;

  # Whether toString accepts the value the way nixpkgs' string options expect
  # (string-like, null, numbers, booleans, and lists of those).
  isConvertibleWithToString = x:
    isStringLike x || builtins.elem (builtins.typeOf x) [ "null" "int" "float" "bool" ]
    || (builtins.isList x && builtins.all isConvertibleWithToString x);

  # The `include` directories of packages' dev outputs, colon separated.
  makeIncludePath = makeSearchPathOutput "dev" "include";

  # The name in a URL's last component up to the separator (which must occur).
  # nameFromURL "https://example.org/foo-1.0.tar.gz" "-" => "foo"
  nameFromURL = url: sep:
    let
      file = lib.lists.last (splitString "/" url);
      name = head (splitString sep file);
    in
    assert name != file; name;

  # Split where pred PREVIOUS CURRENT holds (characters; PREVIOUS is "" at the start);
  # keepSplit keeps the character split at as the start of the next part.
  # splitStringBy (p: c: c == "-") false "a-b" => [ "a" "b" ]
  splitStringBy = pred: keepSplit: str:
    let
      n = stringLength str;
      go = i: part: parts:
        if i == n then parts ++ [ part ]
        else
          let
            c = substring i 1 str;
            p = if i > 0 then substring (i - 1) 1 str else "";
          in
          if pred p c then go (i + 1) (if keepSplit then c else "") (parts ++ [ part ])
          else go (i + 1) (part + c) parts;
    in
    if n == 0 then [ (addContextFrom str "") ] else map (addContextFrom str) (go 0 "" [ ]);

  # First letter upper case, the rest lower case.   toSentenceCase "hELLO" => "Hello"
  toSentenceCase = str:
    lib.trivial.throwIfNot (isString str) "toSentenceCase does only accepts string values, but got ${builtins.typeOf str}"
      (addContextFrom str (toUpper (substring 0 1 str) + toLower (substring 1 (stringLength str) str)));

  # camelCase from words split at "-", "_", " " and at lower-to-upper changes.
  # toCamelCase "hello-world_foo Bar" => "helloWorldFooBar"
  toCamelCase = str:
    lib.trivial.throwIfNot (isString str) "toCamelCase does only accepts string values, but got ${builtins.typeOf str}" (
      let
        words = splitStringBy (_: c: builtins.elem c [ "-" "_" " " ]) false str;
        parts = lib.lists.flatten (map (splitStringBy (p: c: match "[a-z]" p != null && match "[A-Z]" c != null) true) words);
        first = if parts == [ ] then "" else toLower (head parts);
        rest = if builtins.length parts > 1 then map toSentenceCase (builtins.tail parts) else [ ];
      in
      concatStrings (map (addContextFrom str) ([ first ] ++ rest))
    );

  # Build-system flags.   cmakeBool "X" true => "-DX:BOOL=TRUE"; mesonEnable "x" false => "-Dx=disabled"
  cmakeOptionType = type: feature: value:
    assert builtins.elem (toUpper type) [ "BOOL" "FILEPATH" "PATH" "STRING" "INTERNAL" "LIST" ];
    assert isString feature;
    assert isString value;
    "-D${feature}:${toUpper type}=${value}";
  cmakeBool = condition: flag:
    assert isString condition;
    assert builtins.isBool flag;
    cmakeOptionType "bool" condition (toUpper (lib.trivial.boolToString flag));
  cmakeFeature = feature: value:
    assert isString feature;
    assert isString value;
    cmakeOptionType "string" feature value;
  mesonOption = feature: value:
    assert isString feature;
    assert isString value;
    "-D${feature}=${value}";
  mesonBool = condition: flag:
    assert isString condition;
    assert builtins.isBool flag;
    mesonOption condition (lib.trivial.boolToString flag);
  mesonEnable = feature: flag:
    assert isString feature;
    assert builtins.isBool flag;
    mesonOption feature (if flag then "enabled" else "disabled");
}
