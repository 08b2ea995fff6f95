# Small general-purpose functions: combinators, booleans, numbers, function metadata,
# warnings and assertions, fixed points, and version information.
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

  # Trace helpers.
  traceIf = cond: msg: v: if cond then trace msg v else v;
  traceVal = v: trace v v;
  traceValFn = f: v: trace (f v) v;
  traceSeq = x: y: trace (deepSeq x x) y;
  traceValSeq = v: traceSeq v v;

  # ---------------------------------------------------------------- assertions

  # assert with a message: `assert assertMsg (x > 0) "x must be positive"; ...`
  assertMsg = pred: msg: pred || builtins.throw msg;

  # Check that `val` is one of `xs`, naming the option `name` on failure.
  assertOneOf = name: val: xs:
    assertMsg (builtins.elem val xs)
      "${name} must be one of ${builtins.toJSON xs}, but is: ${builtins.toJSON val}";

  # Check that every element of `vals` is one of `xs`.
  assertEachOneOf = name: vals: xs:
    assertMsg (builtins.all (v: builtins.elem v xs) vals)
      "each element in ${name} must be one of ${builtins.toJSON xs}, but is: ${builtins.toJSON vals}";

  # Throw unless every element of `given` is in `valid`; else return the value.
  checkListOfEnum = msg: valid: given:
    let unexpected = builtins.filter (v: !(builtins.elem v valid)) given; in
    if unexpected == [ ] then id
    else builtins.throw "${msg}: ${builtins.concatStringsSep ", " (map builtins.toString unexpected)} unexpected; valid ones: ${builtins.concatStringsSep ", " (map builtins.toString valid)}";

  # ---------------------------------------------------------------- fixed points

  # The fixed point of f: f (fix f).
  # Example: fix (self: { a = 1; b = self.a + 1; }) => { a = 1; b = 2; }
  fix = f: let x = f x; in x;

  # Like fix, but the result carries `__unfix__` to re-open it.
  "fix'" = f: let x = f x // { __unfix__ = f; }; in x;

  # Overlay-style extension: `extends g f` is f with g's attributes laid over it.
  extends = g: f: final:
    let prev = f final; in prev // g final prev;

  # Compose two overlays (final: prev: ...), applying f first.
  composeExtensions = f: g: final: prev:
    let
      fApplied = f final prev;
      prev' = prev // fApplied;
    in
    fApplied // g final prev';

  # Compose a list of overlays, first to last.
  composeManyExtensions = lib.foldr composeExtensions (_: _: { });

  # An attribute set that can be extended with `.extend (final: prev: ...)`.
  makeExtensible = makeExtensibleWithCustomName "extend";
  makeExtensibleWithCustomName = extenderName: rattrs:
    fix' (self: (rattrs self) // {
      ${extenderName} = f: makeExtensibleWithCustomName extenderName (extends f rattrs);
    });

  # ---------------------------------------------------------------- versions

  # The nixpkgs release this library is compatible with (for modules that read it).
  release = "24.11";
  versionSuffix = "pre-nixmesh";
  version = release + versionSuffix;
  codeName = "Nixmesh";
  oldestSupportedRelease = 2311;

  # Whether `release` (an int like 2311) is at most the oldest supported release.
  isInOldestRelease = rel: rel <= oldestSupportedRelease;
  oldestSupportedReleaseIsAtLeast = rel: rel <= oldestSupportedRelease;

  # The revision of the checkout, or the default; the bundled lib has none.
  revisionWithDefault = default: default;

  # Whether evaluation happens inside nix-shell.
  inNixShell = getEnv "IN_NIX_SHELL" != "";
}
