# Tracing and test helpers (nixpkgs' `lib.debug`). Our own code.
{ lib }:
let
  inherit (builtins) trace deepSeq isList isAttrs mapAttrs;
  pretty = lib.generators.toPretty { allowPrettyValues = true; };

  self = {
    inherit (builtins) addErrorContext trace unsafeGetAttrPos;

    # Trace `msg` when `cond` holds, then return v.
    traceIf = cond: msg: v: if cond then trace msg v else v;
    # Trace the value itself / f of it, and return it.
    traceVal = v: trace v v;
    traceValFn = f: v: trace (f v) v;
    # Trace x fully evaluated, then return y.
    traceSeq = x: y: trace (deepSeq x x) y;
    traceValSeq = v: self.traceSeq v v;
    traceValSeqFn = f: v: self.traceValFn f (deepSeq v v);

    # Trace x rendered as Nix down to `depth` levels (deeper lists and sets shown as
    # […] and {…}), then return y.   traceSeqN :: int -> a -> b -> b
    traceSeqN = depth: x: y:
      let
        shown = text: v: { __pretty = _: text; val = v; };
        cut = v: if isList v then shown "[…]" v else if isAttrs v then shown "{…}" v else v;
        down = n: v:
          if n == 0 then cut v
          else if isList v then map (down (n - 1)) v
          else if isAttrs v then mapAttrs (_: down (n - 1)) v
          else v;
      in
      trace (pretty (down depth x)) y;
    traceValSeqNFn = f: depth: v: self.traceSeqN depth (f v) v;
    traceValSeqN = self.traceValSeqNFn (v: v);
    # Trace a call of f (named `name`): its argument and its result, down to depth.
    traceFnSeqN = depth: name: f: v:
      let result = f v; in
      self.traceSeqN (depth + 1) { fn = name; from = v; to = result; } result;

    # Run tests `{ testNAME = { expr; expected; }; }` (only names starting with "test",
    # or those listed in an attribute `tests`); returns the failures as
    # [ { name; expected; result; } ].
    runTests = tests:
      lib.lists.concatMap
        (name:
          let
            test = tests.${name};
            chosen = tests.tests or [ ];
            selected = (builtins.substring 0 4 name == "test" || builtins.elem name chosen)
              && (chosen == [ ] || builtins.elem name chosen);
          in
          if selected && test.expr != test.expected then [ { inherit name; inherit (test) expected; result = test.expr; } ] else [ ])
        (builtins.attrNames tests);

    # A test that every element of the list is true.
    testAllTrue = expr: { inherit expr; expected = map (_: true) expr; };

    # null when there are no failures (runTests' result); else trace each failure and
    # throw a summary naming them.
    throwTestFailures = { failures, description ? "tests", ... }:
      if failures == [ ] then null
      else
        let
          show = v: builtins.unsafeDiscardStringContext (pretty v);
          traced = builtins.foldl'
            (_: f: self.traceVal "FAIL ${show f.name}:\nExpected:\n${show f.expected}\n\nResult:\n${show f.result}\n")
            null
            failures;
        in
        builtins.throw (builtins.seq traced
          "${toString (builtins.length failures)} ${description} failed:\n- "
          + builtins.concatStringsSep "\n- " (map (f: f.name) failures)
          + "\n\n" + builtins.toJSON failures);
  };
in
self
