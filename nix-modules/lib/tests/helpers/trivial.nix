# Cases for lib/trivial.nix. Each: { expr; expected; } or { expr; throws = true; }.
{ lib }:
with lib;
with lib.trivial; with lib.asserts; with lib.fixedPoints; with lib.debug;
{
  idReturnsArg = { expr = id 5; expected = 5; };
  constIgnoresSecond = { expr = map (const 1) [ "a" "b" ]; expected = [ 1 1 ]; };
  flipSwaps = { expr = flip concat [ 1 ] [ 2 ]; expected = [ 2 1 ]; };
  flipSubtraction = { expr = flip sub 1 10; expected = 9; };
  pipeOrder = { expr = pipe 2 [ (x: x + 1) (x: x * 10) ]; expected = 30; };
  pipeEmpty = { expr = pipe "v" [ ]; expected = "v"; };
  concatLists = { expr = concat [ 1 2 ] [ 3 ]; expected = [ 1 2 3 ]; };
  orAndXor = {
    expr = [ (lib.or false true) (lib.or false false) (lib.and true false) (lib.and true true) (xor true true) (xor true false) ];
    expected = [ true false false true false true ];
  };
  bitNot = { expr = bitNot 0; expected = -1; };
  boolToStringBoth = { expr = [ (boolToString true) (boolToString false) ]; expected = [ "true" "false" ]; };
  mergeAttrsRightWins = { expr = mergeAttrs { a = 1; b = 1; } { b = 2; }; expected = { a = 1; b = 2; }; };
  mapNullable = { expr = [ (mapNullable (x: x + 1) null) (mapNullable (x: x + 1) 1) ]; expected = [ null 2 ]; };
  defaultTo = { expr = [ (defaultTo 3 null) (defaultTo 3 false) ]; expected = [ 3 false ]; };
  minMax = { expr = [ (min 3 2) (max 3 2) (min "a" "b") (max (-1) (-5)) ]; expected = [ 2 3 "a" (-1) ]; };
  modPositive = { expr = mod 11 10; expected = 1; };
  modNegativeDividend = { expr = mod (-11) 10; expected = -1; };
  modExact = { expr = mod 20 5; expected = 0; };
  compareThreeWay = { expr = [ (compare 1 2) (compare 2 2) (compare "b" "a") ]; expected = [ (-1) 0 1 ]; };
  splitByAndCompare = {
    expr = builtins.sort (a: b: splitByAndCompare (hasPrefix "x") compare compare a b < 0) [ "b" "xb" "a" "xa" ];
    expected = [ "xa" "xb" "a" "b" ];
  };
  toBaseDigitsBinary = { expr = toBaseDigits 2 6; expected = [ 1 1 0 ]; };
  toBaseDigitsZero = { expr = toBaseDigits 10 0; expected = [ 0 ]; };
  toBaseDigitsExactPower = { expr = toBaseDigits 16 256; expected = [ 1 0 0 ]; };
  toHexString = { expr = [ (toHexString 250) (toHexString 0) (toHexString 4095) (toHexString 16) ]; expected = [ "FA" "0" "FFF" "10" ]; };
  toBaseDigitsRejectsNegative = { expr = toBaseDigits 10 (-1); throws = true; };
  isFunctionKinds = {
    expr = [ (isFunction (x: x)) (isFunction { __functor = self: x: x; }) (isFunction { }) (isFunction 1) ];
    expected = [ true true false false ];
  };
  functionArgsLambda = { expr = functionArgs ({ a, b ? 1 }: a); expected = { a = false; b = true; }; };
  functionArgsPlain = { expr = functionArgs (x: x); expected = { }; };
  setFunctionArgsReported = {
    expr = let f = setFunctionArgs (x: x.a) { a = false; }; in [ (functionArgs f) (f { a = 7; }) ];
    expected = [ { a = false; } 7 ];
  };
  functionArgsOfFunctor = {
    expr = functionArgs { __functor = self: { x, y ? 2 }: x; };
    expected = { x = false; y = true; };
  };
  mirrorFunctionArgs = {
    expr = let g = mirrorFunctionArgs ({ a, b ? 0 }: a) (args: args.a * 2); in [ (functionArgs g) (g { a = 4; }) ];
    expected = [ { a = false; b = true; } 8 ];
  };
  toFunctionWraps = { expr = [ (toFunction 5 "ignored") (toFunction (x: x + 1) 1) ]; expected = [ 5 2 ]; };
  warnReturnsValue = { expr = warn "test warning from helpers fixtures" 3; expected = 3; };
  warnIfFalseIsId = { expr = warnIf false "never" 4; expected = 4; };
  throwIfFalsePasses = { expr = throwIf false "never" 4; expected = 4; };
  throwIfTrueThrows = { expr = throwIf true "boom" 4; throws = true; };
  throwIfNotFalseThrows = { expr = throwIfNot false "boom" 4; throws = true; };
  throwIfNotTruePasses = { expr = throwIfNot true "boom" 4; expected = 4; };
  infoReturnsValue = { expr = info "info from helpers fixtures" "v"; expected = "v"; };
  showWarningsReturnsValue = { expr = showWarnings [ "w1" "w2" ] 9; expected = 9; };
  assertMsgTrue = { expr = assertMsg true "unused"; expected = true; };
  assertMsgFalseThrows = { expr = assertMsg false "nope"; throws = true; };
  assertOneOf = { expr = assertOneOf "x" "a" [ "a" "b" ]; expected = true; };
  assertOneOfFails = { expr = assertOneOf "x" "c" [ "a" "b" ]; throws = true; };
  checkListOfEnumPasses = { expr = checkListOfEnum "fruit" [ "apple" "pear" ] [ "pear" ] 1; expected = 1; };
  checkListOfEnumFails = { expr = checkListOfEnum "fruit" [ "apple" ] [ "plum" ] 1; throws = true; };
  seqDeepSeq = { expr = [ (seq 1 2) (deepSeq [ 1 ] 2) ]; expected = [ 2 2 ]; };
  deepSeqForcesNested = { expr = deepSeq { a = [ (throw "x") ]; } 1; throws = true; };
  seqIsShallow = { expr = seq { a = throw "x"; } 1; expected = 1; };
  importJSONReadsFile = { expr = importJSON ./data.json; expected = { a = [ 1 "two" ]; b = null; }; };
  pathExists = { expr = [ (pathExists ./data.json) (pathExists ./no-such-file) ]; expected = [ true false ]; };
  fixComputes = { expr = fix (self: { a = 1; b = self.a + 1; }); expected = { a = 1; b = 2; }; };
  extendsOverlay = {
    expr = fix (extends (final: prev: { b = prev.b * 10; c = final.b; }) (self: { a = 1; b = self.a + 1; }));
    expected = { a = 1; b = 20; c = 20; };
  };
  composeManyExtensions = {
    expr = fix (extends (composeManyExtensions [ (f: p: { x = p.x + 1; }) (f: p: { x = p.x * 2; }) ]) (_: { x = 1; }));
    expected = { x = 4; };
  };
  makeExtensible = {
    expr = let e = (makeExtensible (self: { a = 1; b = self.a + 1; })).extend (f: p: { a = 10; }); in [ e.a e.b ];
    expected = [ 10 11 ];
  };
  versionStrings = {
    expr = [ (isString version) (hasPrefix trivial.release version) (isInOldestRelease 2305) (isInOldestRelease 9999) ];
    expected = [ true true true false ];
  };
  inNixShellIsBool = { expr = builtins.isBool inNixShell; expected = true; };
}
