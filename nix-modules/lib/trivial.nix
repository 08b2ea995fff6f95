# Small general-purpose functions: combinators, booleans, numbers, function metadata,
# warnings and version information (assertions, fixed points and tracing are in
# asserts.nix, fixed-points.nix and debug.nix).
# Names, argument orders and semantics follow nixpkgs' `lib`; the code is our own.
{ lib }:
let
  inherit (builtins) trace getEnv foldl' isInt;

  # Digits used by toHexString, indexed by value.
  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "A" "B" "C" "D" "E" "F" ];
in
rec {
  # ---------------------------------------------------------------- combinators

  # The identity function.   id :: a -> a
  id = x: x;

  # Ignore the second argument.   const :: a -> b -> a
  # Example: map (const 1) [ "a" "b" ] => [ 1 1 ]
  const = x: _: x;

  # Swap the first two arguments.   flip :: (a -> b -> c) -> b -> a -> c
  # Example: flip concat [ 1 ] [ 2 ] => [ 2 1 ]
  flip = f: a: b: f b a;

  # Feed a value through a list of functions, first to last.
  # pipe :: a -> [ (a -> b) (b -> c) ... ] -> z
  # Example: pipe 2 [ (x: x + 1) (x: x * 10) ] => 30
  pipe = value: fns: foldl' (acc: f: f acc) value fns;

  # Concatenate two lists.   concat :: [a] -> [a] -> [a]
  concat = a: b: a ++ b;

  # Boolean operators as functions.
  "or" = a: b: a || b;
  "and" = a: b: a && b;
  xor = a: b: (!a) != (!b);

  # Integer bit operations.
  inherit (builtins) bitAnd bitOr bitXor;
  bitNot = builtins.sub (-1);

  # "true" or "false".   boolToString :: bool -> string
  boolToString = b: if b then "true" else "false";

  # "yes" or "no".
  boolToYesNo = b: if b then "yes" else "no";

  # Shallow merge, right side wins.   mergeAttrs :: attrs -> attrs -> attrs
  mergeAttrs = a: b: a // b;

  # Apply f unless the value is null.   mapNullable :: (a -> b) -> a? -> b?
  mapNullable = f: v: if v == null then null else f v;

  # The value, or the default when the value is null.
  # Example: defaultTo 3 null => 3
  defaultTo = default: v: if v == null then default else v;

  # ---------------------------------------------------------------- numbers

  # Smaller / larger of two comparable values.
  min = a: b: if a < b then a else b;
  max = a: b: if a > b then a else b;

  # Integer remainder with the sign of the dividend, like nixpkgs' `mod`.
  # Example: mod 11 10 => 1; mod (-11) 10 => -1
  mod = base: divisor: base - divisor * (builtins.div base divisor);

  # Three-way comparison: -1, 0 or 1.
  compare = a: b: if a < b then -1 else if a > b then 1 else 0;

  # Compare with `yes` when both satisfy p, with `no` when neither does; a value
  # satisfying p sorts first.
  splitByAndCompare = p: yes: no: a: b:
    if p a then (if p b then yes a b else -1)
    else if p b then 1
    else no a b;

  # Digits of a non-negative integer in the given base, most significant first.
  # toBaseDigits :: int -> int -> [int]
  # Example: toBaseDigits 2 6 => [ 1 1 0 ]; toBaseDigits 10 0 => [ 0 ]
  toBaseDigits = base: n:
    assert isInt base && base >= 2;
    assert isInt n && n >= 0;
    let
      go = acc: v:
        if v < base then [ v ] ++ acc
        else go ([ (v - (v / base) * base) ] ++ acc) (v / base);
    in
    go [ ] n;

  # Upper-case hexadecimal rendering of a non-negative integer.
  # Example: toHexString 250 => "FA"
  toHexString = n:
    builtins.concatStringsSep "" (map (d: builtins.elemAt hexDigits d) (toBaseDigits 16 n));

  # ---------------------------------------------------------------- functions

  # True for lambdas and for attribute sets with a `__functor`.
  isFunction = f:
    builtins.isFunction f || (builtins.isAttrs f && f ? __functor && isFunction (f.__functor f));

  # The formal arguments of a function: { name = hasDefault; }. Honours
  # setFunctionArgs and functors.
  functionArgs = f:
    if builtins.isAttrs f && f ? __functor then
      f.__functionArgs or (functionArgs (f.__functor f))
    else
      builtins.functionArgs f;

  # Make f report `args` from functionArgs (used by callPackage-style callers).
  setFunctionArgs = f: args: {
    __functor = _: f;
    __functionArgs = args;
  };

  # Give g the formal arguments of f.
  # mirrorFunctionArgs :: (a -> b) -> (a -> c) -> (a -> c)
  mirrorFunctionArgs = f:
    let args = functionArgs f; in g: setFunctionArgs g args;

  # A function stays as it is; any other value becomes a function returning it.
  toFunction = v: if isFunction v then v else _: v;

  # ---------------------------------------------------------------- evaluation

  inherit (builtins) seq deepSeq genericClosure typeOf isBool isInt isFloat isPath
    add sub mul div lessThan pathExists;

  inherit (builtins) ceil floor readFile;

  # Whether evaluation is pure (no builtins.currentSystem then).
  inPureEvalMode = !(builtins ? currentSystem);

  # Parse hexadecimal digits, with or without "0x", to an integer.
  # Example: fromHexString "0xff" => 255; fromHexString "FF" => 255
  fromHexString = str:
    let m = builtins.match "(0x)?([0-7]?[0-9A-Fa-f]{1,15})" str; in
    if m != null then (builtins.fromTOML "v=0x${builtins.elemAt m 1}").v
    else
      # nixpkgs warns that such input will be rejected, and parses it like this.
      warn "fromHexString: ${lib.generators.toPretty { } str} is not a valid input and will be rejected in 26.05"
        (builtins.fromTOML "v=0x${lib.strings.removePrefix "0x" (lib.strings.toLower str)}").v;

  # Read and parse a JSON file.   importJSON :: path -> any
  importJSON = path: builtins.fromJSON (builtins.readFile path);

  # Read and parse a TOML file.
  importTOML = path: builtins.fromTOML (builtins.readFile path);

  # ---------------------------------------------------------------- tracing

  # Print a warning while returning the value. With NIX_ABORT_ON_WARN=1 set in the
  # evaluator's environment, a warning aborts instead.
  warn = msg:
    if builtins.elem (getEnv "NIX_ABORT_ON_WARN") [ "1" "true" "yes" ] then
      builtins.throw "warning (aborting because NIX_ABORT_ON_WARN is set): ${msg}"
    else
      trace "warning: ${msg}";

  # warn when cond holds, else return the value unchanged.
  warnIf = cond: msg: if cond then warn msg else id;
  warnIfNot = cond: msg: if cond then id else warn msg;

  # throw msg when cond holds, else return the value unchanged.
  # Example: throwIf (x < 0) "x must be positive" x
  throwIf = cond: msg: if cond then builtins.throw msg else id;
  throwIfNot = cond: msg: if cond then id else builtins.throw msg;

  # Print an informational message while returning the value.
  info = msg: trace "INFO: ${msg}";

  # Emit every warning in the list, then return the value.
  showWarnings = warnings: value: lib.foldr (w: acc: warn w acc) value warnings;

  # Throw unless every element of `given` is in `valid`; else return the value.
  checkListOfEnum = msg: valid: given:
    let unexpected = builtins.filter (v: !(builtins.elem v valid)) given; in
    if unexpected == [ ] then id
    else builtins.throw "${msg}: ${builtins.concatStringsSep ", " (map builtins.toString unexpected)} unexpected; valid ones: ${builtins.concatStringsSep ", " (map builtins.toString valid)}";

  # ---------------------------------------------------------------- versions

  # The nixpkgs release this library is compatible with (for modules that read it).
  release = "24.11";
  versionSuffix = "pre-nixmesh";
  version = release + versionSuffix;
  codeName = "Nixmesh";
  # nixpkgs' deprecated alias of version.
  nixpkgsVersion = warn "lib.nixpkgsVersion is a deprecated alias of lib.version." version;
  oldestSupportedRelease = 2311;

  # Whether `release` (an int like 2311) is at most the oldest supported release.
  isInOldestRelease = rel: rel <= oldestSupportedRelease;
  oldestSupportedReleaseIsAtLeast = rel: rel <= oldestSupportedRelease;

  # The revision of the checkout, or the default; the bundled lib has none.
  revisionWithDefault = default: default;

  # Whether evaluation happens inside nix-shell.
  inNixShell = getEnv "IN_NIX_SHELL" != "";
}
