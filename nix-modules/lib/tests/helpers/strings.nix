# Cases for lib/strings.nix. Each: { expr; expected; } or { expr; throws = true; }.
{ lib }:
with lib;
with lib.strings; # the section's own names (nixpkgs keeps some only there)
{
  concatStrings = { expr = [ (concatStrings [ "a" "b" ]) (concatStrings [ ]) ]; expected = [ "ab" "" ]; };
  concatMapStrings = { expr = concatMapStrings (x: x + "-") [ "a" "b" ]; expected = "a-b-"; };
  concatImapStrings = { expr = concatImapStrings (i: x: "${toString i}${x}") [ "a" "b" ]; expected = "1a2b"; };
  intersperse = { expr = [ (intersperse "," [ "a" "b" "c" ]) (intersperse "," [ "a" ]) (intersperse "," [ ]) ]; expected = [ [ "a" "," "b" "," "c" ] [ "a" ] [ ] ]; };
  concatStringsSep = { expr = concatStringsSep ", " [ "a" "b" ]; expected = "a, b"; };
  concatMapStringsSep = { expr = concatMapStringsSep "-" toUpper [ "a" "b" ]; expected = "A-B"; };
  concatImapStringsSep = { expr = concatImapStringsSep "," (i: x: "${x}${toString i}") [ "a" "b" ]; expected = "a1,b2"; };
  concatLines = { expr = [ (concatLines [ "a" "b" ]) (concatLines [ ]) ]; expected = [ "a\nb\n" "" ]; };
  makeSearchPath = { expr = makeSearchPath "bin" [ "/a" null "/b" ]; expected = "/a/bin:/b/bin"; };
  makeBinPathOutputs = {
    expr = makeBinPath [ { out = "/o"; bin = "/b"; outPath = "/o"; } { out = "/x"; outPath = "/x"; } ];
    expected = "/b/bin:/x/bin";
  };
  optionalString = { expr = [ (optionalString true "x") (optionalString false "x") ]; expected = [ "x" "" ]; };
  hasPrefix = { expr = [ (hasPrefix "foo" "foobar") (hasPrefix "bar" "foobar") (hasPrefix "" "x") (hasPrefix "long" "lo") ]; expected = [ true false true false ]; };
  hasSuffix = { expr = [ (hasSuffix "bar" "foobar") (hasSuffix "foo" "foobar") (hasSuffix "" "x") (hasSuffix "xlong" "long") ]; expected = [ true false true false ]; };
  hasInfix = { expr = [ (hasInfix "ob" "foobar") (hasInfix "x" "foobar") (hasInfix "" "") (hasInfix "a.c" "abc") (hasInfix "b\nc" "ab\ncd") ]; expected = [ true false true false true ]; };
  stringToCharacters = { expr = [ (stringToCharacters "abc") (stringToCharacters "") ]; expected = [ [ "a" "b" "c" ] [ ] ]; };
  stringAsChars = { expr = stringAsChars (c: if c == "a" then "A" else c) "banana"; expected = "bAnAnA"; };
  toUpperLower = { expr = [ (toUpper "Hello-1") (toLower "Hello-1") ]; expected = [ "HELLO-1" "hello-1" ]; };
  lowerUpperChars = { expr = [ (length lowerChars) (head upperChars) (last lowerChars) ]; expected = [ 26 "A" "z" ]; };
  escape = { expr = escape [ "(" ")" ] "f(x)"; expected = "f\\(x\\)"; };
  escapeShellArgSafe = { expr = escapeShellArg "abc/def-1.2_x:y@z%,+"; expected = "abc/def-1.2_x:y@z%,+"; };
  escapeShellArgQuotes = { expr = escapeShellArg "it's here"; expected = "'it'\\''s here'"; };
  escapeShellArgEmpty = { expr = escapeShellArg ""; expected = "''"; };
  escapeShellArgDollar = { expr = escapeShellArg "$HOME"; expected = "'$HOME'"; };
  escapeShellArgs = { expr = escapeShellArgs [ "a" "b c" "" ]; expected = "a 'b c' ''"; };
  escapeNixString = { expr = escapeNixString "a\"\${b}\n"; expected = "\"a\\\"\\\${b}\\n\""; };
  escapeNixIdentifier = { expr = [ (escapeNixIdentifier "foo") (escapeNixIdentifier "a.b") (escapeNixIdentifier "0x") (escapeNixIdentifier "x'-_1") ]; expected = [ "foo" "\"a.b\"" "\"0x\"" "x'-_1" ]; };
  escapeRegexMatchesLiterally = { expr = [ (match (escapeRegex "a.b[c]*") "a.b[c]*") (match (escapeRegex "a.b") "axb") ]; expected = [ [ ] null ]; };
  escapeRegexAllSpecials = { expr = match (escapeRegex "\\[{()^$?*+|.}]") "\\[{()^$?*+|.}]"; expected = [ ]; };
  escapeXML = { expr = escapeXML "<a href=\"x\">'&'</a>"; expected = "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"; };
  addContextFrom = { expr = builtins.hasContext (addContextFrom (builtins.toFile "ctx" "x") "y"); expected = true; };
  splitString = { expr = splitString "." "a.b..c"; expected = [ "a" "b" "" "c" ]; };
  splitStringRegexChars = { expr = splitString "|" "a|b"; expected = [ "a" "b" ]; };
  splitStringMultiChar = { expr = splitString "::" "a::b:c"; expected = [ "a" "b:c" ]; };
  splitStringNoSep = { expr = [ (splitString "," "abc") (splitString "," "") ]; expected = [ [ "abc" ] [ "" ] ]; };
  splitStringKeepsContext = { expr = builtins.hasContext (head (splitString "/" "${builtins.toFile "ctx" "x"}/a")); expected = true; };
  removePrefix = { expr = [ (removePrefix "foo." "foo.bar") (removePrefix "x" "foo") (removePrefix "" "a") ]; expected = [ "bar" "foo" "a" ]; };
  removeSuffix = { expr = [ (removeSuffix ".nix" "a.nix") (removeSuffix "x" "foo") (removeSuffix "long" "ng") ]; expected = [ "a" "foo" "ng" ]; };
  versionOlder = { expr = [ (versionOlder "1.9" "1.10") (versionOlder "1.10" "1.9") (versionOlder "1.0" "1.0") (versionOlder "1.0pre" "1.0") ]; expected = [ true false false true ]; };
  versionAtLeast = { expr = [ (versionAtLeast "2.8" "2.4") (versionAtLeast "2.4" "2.4") (versionAtLeast "2.3" "2.4") ]; expected = [ true true false ]; };
  versionsParts = { expr = with versions; [ (major "1.2.3") (minor "1.2.3") (patch "1.2.3") (majorMinor "1.2.3") (pad 3 "1.2") ]; expected = [ "1" "2" "3" "1.2" "1.2.0" ]; };
  getNameVersion = { expr = [ (getName "hello-2.12") (getVersion "hello-2.12") (getName { pname = "p"; name = "q-1"; }) (getVersion { name = "q-1.0"; }) ]; expected = [ "hello" "2.12" "p" "1.0" ]; };
  enableFeature = { expr = [ (enableFeature true "shared") (enableFeature false "shared") (enableFeatureAs true "x" "y") (withFeature false "ssl") (withFeatureAs true "ssl" "/p") ]; expected = [ "--enable-shared" "--disable-shared" "--enable-x=y" "--without-ssl" "--with-ssl=/p" ]; };
  fixedWidthString = { expr = [ (fixedWidthString 5 "0" "12") (fixedWidthString 2 "0" "12") ]; expected = [ "00012" "12" ]; };
  fixedWidthStringTooLong = { expr = fixedWidthString 1 "0" "12"; throws = true; };
  fixedWidthNumber = { expr = fixedWidthNumber 3 7; expected = "007"; };
  toInt = { expr = [ (toInt "42") (toInt " 42 ") (toInt "-3") (toInt "0") ]; expected = [ 42 42 (-3) 0 ]; };
  toIntLeadingZeroThrows = { expr = toInt "042"; throws = true; };
  toIntGarbageThrows = { expr = toInt "4x"; throws = true; };
  toIntFloatThrows = { expr = toInt "1.5"; throws = true; };
  toIntBase10 = { expr = [ (toIntBase10 "042") (toIntBase10 "000") (toIntBase10 " -7 ") ]; expected = [ 42 0 (-7) ]; };
  toIntBase10NegativeLeadingZero = { expr = toIntBase10 " -07 "; expected = -7; };
  toIntBase10Garbage = { expr = toIntBase10 "x1"; throws = true; };
  isStringLike = { expr = [ (isStringLike "a") (isStringLike ./data.json) (isStringLike { outPath = "/x"; }) (isStringLike { __toString = s: "x"; }) (isStringLike 1) (isStringLike { }) ]; expected = [ true true true true false false ]; };
  isStorePath = {
    expr = [
      (isStorePath "${builtins.storeDir}/00000000000000000000000000000000-x")
      (isStorePath "${builtins.storeDir}/00000000000000000000000000000000-x/bin")
      (isStorePath "/tmp/x")
      (isStorePath 3)
    ];
    expected = [ true false false false ];
  };
  isValidPosixName = { expr = [ (isValidPosixName "FOO_1") (isValidPosixName "1FOO") (isValidPosixName "a-b") ]; expected = [ true false false ]; };
  toShellVar = {
    expr = [ (toShellVar "A" "x y") (toShellVar "L" [ "a" "b c" ]) (toShellVar "M" { k = "v w"; }) ];
    expected = [ "A='x y'" "declare -a L=(a 'b c')" "declare -A M=([k]='v w')" ];
  };
  toShellVarBadName = { expr = toShellVar "1x" "v"; throws = true; };
  trim = { expr = [ (trim "  a b \n") (trim "") (trim " \t ") (trim "x") (trim "\na\nb\n") ]; expected = [ "a b" "" "" "x" "a\nb" ]; };
  trimWith = { expr = [ (trimWith { start = true; } " a ") (trimWith { end = true; } " a ") ]; expected = [ "a " " a" ]; };
  matchSplitReplace = { expr = [ (match "a(b)c" "abc") (split "," "a,b") (replaceStrings [ "a" ] [ "b" ] "aa") (replaceString "ab" "x" "abab") ]; expected = [ [ "b" ] [ "a" [ ] "b" ] "bb" "xx" ]; };
  substringLength = { expr = [ (substring 1 2 "abcd") (stringLength "abc") (substring 2 99 "abcd") ]; expected = [ "bc" 3 "cd" ]; };
  jsonRoundTrip = { expr = fromJSON (toJSON { a = [ 1 "x" null true ]; }); expected = { a = [ 1 "x" null true ]; }; };
  readFileFileContents = { expr = [ (readFile ./data.json) (fileContents ./data.json) ]; expected = [ "{\"a\":[1,\"two\"],\"b\":null}\n" "{\"a\":[1,\"two\"],\"b\":null}" ]; };
  commonPrefixSuffixLength = { expr = [ (commonPrefixLength "abcd" "abxy") (commonPrefixLength "" "a") (commonSuffixLength "xyz" "ayz") (commonSuffixLength "abc" "abc") ]; expected = [ 2 0 2 3 ]; };
  normalizePath = { expr = normalizePath "//a///b/"; expected = "/a/b/"; };
  sanitizeDerivationName = { expr = [ (sanitizeDerivationName "..foo bar/baz") (sanitizeDerivationName "") (sanitizeDerivationName "ok-1.0") ]; expected = [ "foo-bar-baz" "unknown" "ok-1.0" ]; };

  # ------------------------------------------------------------ generators
  generatorsToKeyValue = { expr = generators.toKeyValue { } { a = 1; b = "x"; c = true; d = null; }; expected = "a=1\nb=x\nc=true\nd=null\n"; };
  generatorsToKeyValueDuplicates = { expr = generators.toKeyValue { listsAsDuplicateKeys = true; indent = "  "; } { a = [ 1 2 ]; b = 3; }; expected = "  a=1\n  a=2\n  b=3\n"; };
  generatorsToKeyValueCustomSep = { expr = generators.toKeyValue { mkKeyValue = generators.mkKeyValueDefault { } " = "; } { k = "v"; }; expected = "k = v\n"; };
  generatorsMkKeyValueEscapesSep = { expr = generators.mkKeyValueDefault { } "=" "a=b" 1; expected = "a\\=b=1"; };
  generatorsToINI = { expr = generators.toINI { } { s = { a = 1; }; "t[1]" = { b = false; }; }; expected = "[s]\na=1\n\n[t\\[1\\]]\nb=false\n"; };
  generatorsToINIEmpty = { expr = generators.toINI { } { }; expected = ""; };
  generatorsToINIWithGlobalSection = { expr = generators.toINIWithGlobalSection { } { globalSection = { g = 1; }; sections = { s = { a = 2; }; }; }; expected = "g=1\n\n[s]\na=2\n"; };
  generatorsToJSON = { expr = generators.toJSON { } { a = [ 1 ]; }; expected = "{\"a\":[1]}"; };
  generatorsToPrettyMultiline = {
    expr = generators.toPretty { } { a = [ 1 "x" ]; "b c" = null; e = { }; g = [ ]; };
    expected = "{\n  a = [\n    1\n    \"x\"\n  ];\n  \"b c\" = null;\n  e = { };\n  g = [ ];\n}";
  };
  generatorsToPrettySingleLine = { expr = generators.toPretty { multiline = false; } { a = [ 1 "x\ny\${" ]; t = true; }; expected = "{ a = [ 1 \"x\\ny\\\${\" ]; t = true; }"; };
  generatorsToPrettyMultilineString = { expr = generators.toPretty { } "a\nb''"; expected = "''\n  a\n  b'''''"; };
  generatorsToPrettyFunctionsAndDerivations = {
    expr = map (generators.toPretty { }) [ (x: x) ({ x, y ? 1 }: x) { type = "derivation"; name = "hello"; } ];
    expected = [ "<function>" "<function, args: {x, y?}>" "<derivation hello>" ];
  };
  generatorsToPrettyAllowPrettyValues = { expr = generators.toPretty { allowPrettyValues = true; } { __pretty = v: "P${toString v}"; val = 3; }; expected = "P3"; };
}
