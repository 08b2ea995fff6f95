# Cases for what the bundled lib has to match nixpkgs' surface: the sections asserts,
# debug, fixedPoints, cli and stringsWithDeps (filesystem: filesystem.nix), and the names added to the
# other sections. Each: { expr; expected; } or { expr; throws = true; }. The real-lib
# parity test runs this file with nixpkgs' own lib too, so every expected value here is
# nixpkgs' behaviour, not only ours.
{ lib }:
let
  inherit (lib) asserts debug fixedPoints cli stringsWithDeps lists strings attrsets options modules types generators trivial;
  eval = modules: (lib.evalModules { inherit modules; }).config;
in
{
  # asserts
  assertEachOneOf = { expr = asserts.assertEachOneOf "x" [ "a" "b" ] [ "a" "b" "c" ]; expected = true; };
  assertEachOneOfFails = { expr = asserts.assertEachOneOf "x" [ "a" "z" ] [ "a" "b" ]; throws = true; };
  checkAssertWarn = { expr = asserts.checkAssertWarn [ { assertion = true; message = "no"; } ] [ ] 5; expected = 5; };
  checkAssertWarnFails = { expr = asserts.checkAssertWarn [ { assertion = false; message = "bad"; } ] [ ] 5; throws = true; };

  # fixedPoints
  converge = { expr = fixedPoints.converge (x: if x < 10 then x + 3 else x) 0; expected = 12; };
  toExtensionForms = {
    expr = map (e: lib.fix (fixedPoints.extends (fixedPoints.toExtension e) (final: { a = 1; b = final.a + 10; })))
      [ { a = 2; } (prev: { a = prev.a + 5; }) (final: prev: { c = final.b; }) ];
    expected = [ { a = 2; b = 12; } { a = 6; b = 16; } { a = 1; b = 11; c = 11; } ];
  };
  makeExtensibleExtend = {
    expr = let s = (fixedPoints.makeExtensible (self: { a = 1; b = self.a + 1; })).extend (final: prev: { a = 10; }); in [ s.a s.b ];
    expected = [ 10 11 ];
  };
  composeManyExtensions = {
    expr = lib.fix (fixedPoints.extends (fixedPoints.composeManyExtensions [ (f: p: { a = p.a + 1; }) (f: p: { a = p.a * 10; }) ]) (f: { a = 1; }));
    expected = { a = 20; };
  };

  # debug (the tracing ones return their value; what they print is not checked here)
  traceSeqN = { expr = debug.traceSeqN 1 { a.b = 1; } "y"; expected = "y"; };
  traceValSeqN = { expr = debug.traceValSeqN 2 { a.b.c = [ 1 ]; }; expected = { a.b.c = [ 1 ]; }; };
  traceFnSeqN = { expr = debug.traceFnSeqN 1 "inc" (x: x + 1) 1; expected = 2; };
  traceValSeqFn = { expr = debug.traceValSeqFn (v: v // { d = 1; }) { a = 1; }; expected = { a = 1; }; };
  runTests = {
    expr = debug.runTests {
      testOk = { expr = 1; expected = 1; };
      testBad = { expr = 1; expected = 2; };
      notATest = { expr = 1; expected = 3; };
    };
    expected = [ { name = "testBad"; expected = 2; result = 1; } ];
  };
  runTestsChosen = {
    expr = debug.runTests { tests = [ "pick" ]; pick = { expr = 1; expected = 0; }; testOther = { expr = 1; expected = 0; }; };
    expected = [ { name = "pick"; expected = 0; result = 1; } ];
  };
  testAllTrue = { expr = debug.testAllTrue [ true false ]; expected = { expr = [ true false ]; expected = [ true true ]; }; };
  throwTestFailuresNone = { expr = debug.throwTestFailures { failures = [ ]; }; expected = null; };
  throwTestFailures = { expr = debug.throwTestFailures { failures = [ { name = "t"; expected = 1; result = 2; } ]; }; throws = true; };

  # lists
  replaceElemAt = { expr = lists.replaceElemAt [ 1 2 3 ] 1 "x"; expected = [ 1 "x" 3 ]; };
  replaceElemAtOutOfRange = { expr = lists.replaceElemAt [ 1 ] 1 "x"; throws = true; };
  concatAttrValues = { expr = lists.concatAttrValues { b = [ 2 3 ]; a = [ 1 ]; }; expected = [ 1 2 3 ]; };
  listPrefixes = { expr = [ (lists.hasPrefix [ 1 2 ] [ 1 2 3 ]) (lists.hasPrefix [ 2 ] [ 1 2 ]) (lists.hasPrefix [ ] [ ]) (lists.removePrefix [ 1 ] [ 1 2 ]) ]; expected = [ true false true [ 2 ] ]; };
  listRemovePrefixNotAPrefix = { expr = lists.removePrefix [ 2 ] [ 1 2 ]; throws = true; };

  # attrsets
  genAttrsPrime = { expr = attrsets."genAttrs'" [ "a" "b" ] (x: attrsets.nameValuePair "x-${x}" x); expected = { x-a = "a"; x-b = "b"; }; };
  mapAttrsToListRecursive = {
    expr = attrsets.mapAttrsToListRecursive (p: v: "${lib.concatStringsSep "." p}=${toString v}") { b = { c = 2; d.e = 3; }; a = 1; };
    expected = [ "a=1" "b.c=2" "b.d.e=3" ];
  };
  mapAttrsToListRecursiveCond = {
    expr = attrsets.mapAttrsToListRecursiveCond (p: v: !(v ? stop)) (p: v: p) { a.stop = 1; b.c = 2; };
    expected = [ [ "a" ] [ "b" "c" ] ];
  };
  longestValidPathPrefix = {
    expr = [ (attrsets.longestValidPathPrefix [ "a" "b" "c" ] { a.b = 1; }) (attrsets.longestValidPathPrefix [ "x" ] { }) (attrsets.longestValidPathPrefix [ "a" ] { a = null; }) ];
    expected = [ [ "a" "b" ] [ ] [ "a" ] ];
  };

  # strings
  joinReplicate = { expr = [ (strings.join ", " [ "a" "b" ]) (strings.replicate 3 "ab") (strings.replicate 0 "x") ]; expected = [ "a, b" "ababab" "" ]; };
  charToInt = { expr = map strings.charToInt [ "A" " " "~" "\n" "\t" ]; expected = [ 65 32 126 10 9 ]; };
  escapeC = { expr = strings.escapeC [ " " "\n" ] "a b\nc"; expected = "a\\x20b\\x0ac"; };
  escapeURL = { expr = strings.escapeURL "a b/c?d=é~_.-"; expected = "a%20b%2Fc%3Fd%3Dé~_.-"; };
  floatToString = { expr = [ (strings.floatToString 0.5) (strings.floatToString 1.0) ]; expected = [ "0.500000" "1.000000" ]; };
  isConvertibleWithToString = {
    expr = map strings.isConvertibleWithToString [ "s" 1 1.5 true null [ 1 "a" ] [ { } ] { } ./sections.nix { __toString = _: "x"; } ];
    expected = [ true true true true true true false false true true ];
  };
  makeIncludePath = { expr = strings.makeIncludePath [ "/p" { outPath = "/q"; dev = "/q-dev"; } ]; expected = "/p/include:/q-dev/include"; };
  nameFromURL = { expr = strings.nameFromURL "https://example.org/foo-1.0.tar.gz" "-"; expected = "foo"; };
  nameFromURLNoSeparator = { expr = strings.nameFromURL "https://example.org/foo" "-"; throws = true; };
  splitStringBy = {
    expr = [
      (strings.splitStringBy (p: c: c == "-") false "a-b--c")
      (strings.splitStringBy (p: c: p == "a" && c == "B") true "aBaB")
      (strings.splitStringBy (p: c: true) false "")
    ];
    expected = [ [ "a" "b" "" "c" ] [ "a" "Ba" "B" ] [ "" ] ];
  };
  toSentenceCase = { expr = map strings.toSentenceCase [ "hELLO wORLD" "" "x" ]; expected = [ "Hello world" "" "X" ]; };
  toCamelCase = { expr = map strings.toCamelCase [ "hello-world" "foo_bar baz" "already camelCase" "HTTPServer" "" ]; expected = [ "helloWorld" "fooBarBaz" "alreadyCamelCase" "httpserver" "" ]; };
  toCamelCaseNotAString = { expr = strings.toCamelCase 1; throws = true; };
  buildFlags = {
    expr = [ (strings.cmakeBool "X" true) (strings.cmakeFeature "Y" "v") (strings.cmakeOptionType "filepath" "Z" "/p") (strings.mesonBool "a" false) (strings.mesonEnable "b" true) (strings.mesonOption "c" "d") ];
    expected = [ "-DX:BOOL=TRUE" "-DY:STRING=v" "-DZ:FILEPATH=/p" "-Da=false" "-Db=enabled" "-Dc=d" ];
  };
  cmakeBadType = { expr = strings.cmakeOptionType "nope" "X" "v"; throws = true; };
  builtinsInStrings = { expr = [ (strings.head [ 1 ]) (strings.typeOf 1) (strings.isInt 1) (strings.elem 1 [ 1 ]) ]; expected = [ 1 "int" true true ]; };

  # trivial
  numbers = { expr = [ (trivial.ceil 1.2) (trivial.floor 1.8) (trivial.fromHexString "0xff") (trivial.fromHexString "FF") (trivial.fromHexString "10") ]; expected = [ 2 1 255 255 16 ]; };
  inPureEvalMode = { expr = trivial.inPureEvalMode; expected = false; };

  # options
  literalCode = { expr = options.literalCode "nix" "pkgs.hello"; expected = { _type = "literalMD"; text = "```nix\npkgs.hello\n```\n"; }; };
  scrubOptionValue = {
    expr = options.scrubOptionValue { d = { type = "derivation"; name = "hello"; outPath = "/nix/store/x"; }; _args = 1; l = [ { a = 1; } ]; };
    expected = { d = { type = "derivation"; drvPath = "hello"; outPath = "hello"; name = "hello"; }; l = [ { a = 1; } ]; };
  };
  showOptionWithDefLocs = {
    expr = options.showOptionWithDefLocs { loc = [ "a" "b c" ]; files = [ "/f.nix" "/g.nix" ]; };
    expected = "a.\"b c\", with values defined in:\n  - /f.nix\n  - /g.nix\n";
  };
  showOptionEscapesDollar = { expr = lib.showOption [ "a" "$x" "\${y}" "<name>" ]; expected = "a.\"\\$x\".\"\\\${y}\".<name>"; };

  # modules
  mkRenamedOptionModuleWith = {
    expr = eval [
      { options.new = lib.mkOption { default = 0; }; }
      (lib.mkRenamedOptionModuleWith { from = [ "old" ]; to = [ "new" ]; sinceRelease = 2411; })
      { old = 5; }
    ];
    expected = { new = 5; old = 5; };
  };
  mkAssert = {
    expr = (eval [ { options.a = lib.mkOption { default = 0; }; } { a = modules.mkAssert true "fine" 3; } ]).a;
    expected = 3;
  };
  mkAssertFails = {
    expr = (eval [ { options.a = lib.mkOption { default = 0; }; } { a = modules.mkAssert false "not fine" 3; } ]).a;
    throws = true;
  };
  # lib.modules.importJSON makes a module of the file; lib.importJSON reads the value.
  importJSONAsModule = {
    expr = [ (modules.importJSON ./data.json).config (lib.importJSON ./data.json) ];
    expected = [ { a = [ 1 "two" ]; b = null; } { a = [ 1 "two" ]; b = null; } ];
  };

  # types
  newTypes = {
    expr = [
      types.envVar.description
      types.json.description
      types.toml.description
      (types.mergeTypes types.int types.int).name
      (types.mergeTypes types.int types.str)._type
      (types.optionDescriptionPhrase (c: c == "noun") (types.listOf types.int))
      (types.optionDescriptionPhrase (c: c == "noun") types.int)
      (types.types == types)
    ];
    expected = [ "strings concatenated with \":\"" "JSON value" "TOML value" "int" "merge-error" "(list of signed integer)" "signed integer" true ];
  };
  envVarMerges = {
    expr = eval [ { options.p = lib.mkOption { type = types.envVar; }; } { p = lib.mkMerge [ "/a" "/b" ]; } ];
    expected = { p = "/a:/b"; };
  };
  tomlRejectsNull = {
    expr = (eval [ { options.t = lib.mkOption { type = types.toml; }; } { t = null; } ]).t;
    throws = true;
  };

  # generators
  toGitINI = {
    expr = generators.toGitINI { user.name = "me \"x\""; url."git@example.org:".insteadOf = "ex:"; core = { bare = false; tags = [ 1 2 ]; }; };
    expected = "[core]\n\tbare = false\n\ttags = 1\n\ttags = 2\n\n[url \"git@example.org:\"]\n\tinsteadOf = \"ex:\"\n\n[user]\n\tname = \"me \\\"x\\\"\"\n";
  };
  withRecursion = {
    expr = generators.withRecursion { depthLimit = 1; throwOnDepthLimit = false; } { a.b.c = 1; l = [ [ 1 ] ]; x = 2; };
    expected = { a = { b = "<unevaluated>"; }; l = [ "<unevaluated>" ]; x = "<unevaluated>"; };
  };
  withRecursionDepth2 = {
    expr = generators.withRecursion { depthLimit = 2; throwOnDepthLimit = false; } { a.b.c = 1; x = 2; };
    expected = { a = { b = { c = "<unevaluated>"; }; }; x = 2; };
  };
  withRecursionThrows = { expr = generators.withRecursion { depthLimit = 0; } { a = 1; }; throws = true; };

  # cli
  toGNUCommandLine = {
    expr = cli.toGNUCommandLine { } { v = true; q = false; data = { } == { }; level = 3; name = null; o = [ "a" "b" ]; };
    expected = [ "--data" "--level" "3" "-o" "a" "-o" "b" "-v" ];
  };
  toGNUCommandLineSeparator = { expr = cli.toGNUCommandLine { optionValueSeparator = "="; } { level = 3; }; expected = [ "--level=3" ]; };
  toGNUCommandLineShell = { expr = cli.toGNUCommandLineShell { } { message = "it's"; }; expected = "--message 'it'\\''s'"; };
  toCommandLineGNU = {
    expr = cli.toCommandLineGNU { } { verbose = true; level = 3; o = "out"; x = [ 1 2 ]; off = false; none = null; };
    expected = [ "--level=3" "-oout" "--verbose" "-x1" "-x2" ];
  };
  toCommandLineExplicitBool = {
    expr = cli.toCommandLineGNU { explicitBool = true; } { flag = false; };
    expected = [ "--flag=false" ];
  };
  toCommandLineOwnFormat = {
    expr = cli.toCommandLine (name: { option = "/${name}"; sep = null; explicitBool = false; }) { a = "x"; b = true; };
    expected = [ "/a" "x" "/b" ];
  };
  toCommandLineShellGNU = { expr = cli.toCommandLineShellGNU { } { m = "a b"; }; expected = "'-ma b'"; };

  # stringsWithDeps
  textClosure = {
    expr = with stringsWithDeps; [
      (textClosureList { a = noDepEntry "A"; b = stringAfter [ "a" ] "B"; c = fullDepEntry "C" [ "b" "a" ]; } [ "c" "a" ])
      (textClosureMap (t: "<${t}>") { a = noDepEntry "A"; p = packEntry [ "a" ]; } [ "p" ])
    ];
    expected = [ [ "A" "B" "C" ] "<A>\n<>" ];
  };
}
