# Attribute set helpers, plus showOption (rendering of option paths). Names, argument
# orders and semantics follow nixpkgs' `lib.attrsets`; the code is our own.
{ lib }:
let
  inherit (builtins) attrNames attrValues listToAttrs isAttrs length head tail elemAt
    concatMap filter foldl' mapAttrs removeAttrs catAttrs zipAttrsWith concatStringsSep
    intersectAttrs;
in
rec {
  inherit (builtins) attrNames attrValues listToAttrs isAttrs mapAttrs removeAttrs
    catAttrs zipAttrsWith intersectAttrs hasAttr getAttr;

  # ---------------------------------------------------------------- paths

  # The value at a path, or the default when any step is missing.
  # Example: attrByPath [ "a" "b" ] 0 { a.b = 1; } => 1
  attrByPath = path: default: set:
    let
      n = length path;
      go = i: v:
        if i == n then v
        else
          let k = elemAt path i; in
          if isAttrs v && v ? ${k} then go (i + 1) v.${k} else default;
    in
    go 0 set;

  # Whether every step of the path exists.
  hasAttrByPath = path: set:
    let
      n = length path;
      go = i: v:
        i == n || (let k = elemAt path i; in isAttrs v && v ? ${k} && go (i + 1) v.${k});
    in
    go 0 set;

  # A nested set holding value at path.
  # Example: setAttrByPath [ "a" "b" ] 1 => { a = { b = 1; }; }
  setAttrByPath = path: value: lib.foldr (k: acc: { ${k} = acc; }) value path;

  # The value at a path; aborts naming the path when it is missing (as nixpkgs does:
  # tryEval cannot catch it).
  getAttrFromPath = path: set:
    attrByPath path
      (abort "cannot find attribute '${concatStringsSep "." path}'")
      set;

  # The values of the listed attributes, in list order.
  attrVals = names: set: map (k: set.${k}) names;

  # The listed attributes only (all must exist).
  getAttrs = names: set: genAttrs names (k: set.${k});

  # ---------------------------------------------------------------- filtering & folding

  # The attributes for which pred name value holds.
  # Example: filterAttrs (n: v: v > 1) { a = 1; b = 2; } => { b = 2; }
  filterAttrs = pred: set:
    removeAttrs set (filter (k: !(pred k set.${k})) (attrNames set));

  # filterAttrs, also applied inside nested attribute sets.
  filterAttrsRecursive = pred: set:
    listToAttrs (concatMap
      (k:
        let v = set.${k}; in
        if pred k v then [ (nameValuePair k (if isAttrs v then filterAttrsRecursive pred v else v)) ]
        else [ ])
      (attrNames set));

  # Fold the values of each name across a list of sets (right fold, op value acc).
  # Example: foldAttrs (v: acc: [ v ] ++ acc) [ ] [ { a = 1; } { a = 2; } ] => { a = [ 1 2 ]; }
  foldAttrs = op: nul: sets:
    lib.foldr
      (set: acc: foldl' (a: k: a // { ${k} = op set.${k} (acc.${k} or nul); }) acc (attrNames set))
      { }
      sets;

  # Left fold over name/value pairs in name order: f acc name value.
  foldlAttrs = f: init: set:
    foldl' (acc: k: f acc k set.${k}) init (attrNames set);

  # Every value (recursing into sets) for which pred holds, pred tested first.
  # Example: collect builtins.isInt { a = 1; b.c = 2; } => [ 1 2 ]
  collect = pred: v:
    if pred v then [ v ]
    else if isAttrs v then concatMap (collect pred) (attrValues v)
    else [ ];

  # ---------------------------------------------------------------- mapping

  # { name, value } for listToAttrs.
  nameValuePair = name: value: { inherit name value; };

  # Map to new name/value pairs (f returns nameValuePair).
  # Example: mapAttrs' (n: v: nameValuePair "x-${n}" v) { a = 1; } => { x-a = 1; }
  "mapAttrs'" = f: set: listToAttrs (map (k: f k set.${k}) (attrNames set));

  # A list with f name value for every attribute, in name order.
  mapAttrsToList = f: set: map (k: f k set.${k}) (attrNames set);
  mapAttrsFlatten = mapAttrsToList;

  # [ { name, value } ] in name order.
  attrsToList = mapAttrsToList nameValuePair;

  # Map every attribute to a set and merge the results (later names win).
  # Example: concatMapAttrs (n: v: { ${n} = v; "${n}2" = v * 2; }) { a = 1; }
  #   => { a = 1; a2 = 2; }
  concatMapAttrs = f: set: foldl' (a: b: a // b) { } (mapAttrsToList f set);

  # Merge a list of sets, later ones winning.
  mergeAttrsList = sets: foldl' (a: b: a // b) { } sets;

  # Map the leaves (non-set values) with f path value.
  mapAttrsRecursive = f: set: mapAttrsRecursiveCond (_: true) f set;

  # Like mapAttrsRecursive, recursing only into sets for which cond holds.
  mapAttrsRecursiveCond = cond: f: set:
    let
      go = path: mapAttrs (k: v:
        let p = path ++ [ k ]; in
        if isAttrs v && cond v then go p v else f p v);
    in
    go [ ] set;

  # A set with f name for every name.
  # Example: genAttrs [ "a" "b" ] (n: n + n) => { a = "aa"; b = "bb"; }
  genAttrs = names: f: listToAttrs (map (k: nameValuePair k (f k)) names);

  # The set when cond holds, else { }.
  optionalAttrs = cond: set: if cond then set else { };

  # ---------------------------------------------------------------- zipping & merging

  # For each listed name, f name [ values of that name in the sets ].
  zipAttrsWithNames = names: f: sets:
    listToAttrs (map (k: nameValuePair k (f k (catAttrs k sets))) names);

  # Every name mapped to the list of its values across the sets.
  zipAttrs = zipAttrsWith (_: vs: vs);

  # Recursive merge of rhs into lhs that stops at paths where
  # pred path lhsValue rhsValue holds (taking rhsValue there).
  recursiveUpdateUntil = pred: lhs: rhs:
    let
      go = path: zipAttrsWith (k: vs:
        let p = path ++ [ k ]; in
        if length vs == 1 || pred p (elemAt vs 1) (head vs) then head vs
        else go p vs);
    in
    go [ ] [ rhs lhs ];

  # Recursive merge, rhs winning wherever one side is not an attribute set.
  # Example: recursiveUpdate { a.b = 1; a.c = 2; } { a.b = 3; } => { a = { b = 3; c = 2; }; }
  recursiveUpdate = recursiveUpdateUntil (_: l: r: !(isAttrs l && isAttrs r));

  # Whether attrs contains pattern (recursively for nested sets).
  # Example: matchAttrs { a.b = 1; } { a = { b = 1; c = 2; }; } => true
  matchAttrs = pattern: attrs:
    assert isAttrs pattern;
    builtins.all
      (k:
        let p = pattern.${k}; in
        attrs ? ${k} && (
          let v = attrs.${k}; in
          if isAttrs p then isAttrs v && matchAttrs p v else p == v))
      (attrNames pattern);

  # Replace the values of old's attributes with new's, without adding names.
  overrideExisting = old: new: mapAttrs (k: v: new.${k} or v) old;

  # x // y, where every name in both is a lazy error.
  unionOfDisjoint = x: y:
    let
      both = intersectAttrs x y;
      names = concatStringsSep " " (attrNames both);
      clash = mapAttrs (k: _: throw "unionOfDisjoint: collision on ${k}; complete list: ${names}") both;
    in
    x // y // clash;

  # Every combination of one element per attribute.
  # Example: cartesianProduct { a = [ 1 2 ]; b = [ 3 ]; } => [ { a = 1; b = 3; } { a = 2; b = 3; } ]
  cartesianProduct = sets:
    foldl'
      (acc: k: concatMap (partial: map (v: partial // { ${k} = v; }) sets.${k}) acc)
      [ { } ]
      (attrNames sets);
  cartesianProductOfSets = cartesianProduct;
  mapCartesianProduct = f: sets: map f (cartesianProduct sets);

  # Apply a list of { path, update } in order; update gets the old value (an error
  # if it did not exist and is used).
  updateManyAttrsByPath = updates: value:
    let
      apply = u: v:
        let
          n = length u.path;
          go = i: cur:
            if i == n then u.update cur
            else
              let
                k = elemAt u.path i;
                base = if isAttrs cur then cur else { };
                missing = throw "updateManyAttrsByPath: Path '${showAttrPath u.path}' does not exist in the expression";
              in
              base // { ${k} = go (i + 1) (base.${k} or (if i + 1 == n then missing else { })); };
        in
        go 0 v;
    in
    foldl' (v: u: apply u v) value updates;

  # ---------------------------------------------------------------- derivations

  # Whether the value is a derivation.
  isDerivation = v: isAttrs v && (v.type or null) == "derivation";

  # A derivation-like set for an existing store path.
  toDerivation = path:
    let
      p = builtins.storePath path;
      self = {
        type = "derivation";
        name = lib.sanitizeDerivationName (builtins.substring 33 (-1) (baseNameOf p));
        outPath = p;
        outputs = [ "out" ];
        out = self;
        outputName = "out";
      };
    in
    self;

  # The named output of a package, falling back to out, then to the package.
  getOutput = output: pkg:
    if !(pkg ? outputSpecified) || !pkg.outputSpecified then pkg.${output} or pkg.out or pkg
    else pkg;
  getBin = getOutput "bin";
  getLib = getOutput "lib";
  getDev = getOutput "dev";
  getMan = getOutput "man";

  # Mark a set so that tools recurse into it (hydra, nix-env).
  recurseIntoAttrs = set: set // { recurseForDerivations = true; };
  dontRecurseIntoAttrs = set: set // { recurseForDerivations = false; };

  # ---------------------------------------------------------------- rendering

  # An attribute path in Nix syntax.
  # Example: showAttrPath [ "a" "b.c" ] => "a.\"b.c\""; showAttrPath [ ] => "<root attribute path>"
  showAttrPath = path:
    if path == [ ] then "<root attribute path>"
    else concatStringsSep "." (map lib.escapeNixIdentifier path);

  # genAttrs with names and values both from f: f gives a nameValuePair per element.
  # Example: genAttrs' [ "a" ] (x: nameValuePair "x-${x}" 1) => { x-a = 1; }
  "genAttrs'" = xs: f: builtins.listToAttrs (map f xs);

  # f PATH VALUE for every leaf of a nested set (a leaf: any non-set value, or a set
  # for which pred PATH SET is false), depth first in name order.
  # Example: mapAttrsToListRecursive (p: v: "${concatStringsSep "." p}=${toString v}") { a.b = 1; c = 2; }
  #   => [ "a.b=1" "c=2" ]
  mapAttrsToListRecursive = mapAttrsToListRecursiveCond (_: _: true);
  mapAttrsToListRecursiveCond = pred: f: set:
    let
      visit = path: v: if isAttrs v && pred path v then walk path v else [ (f path v) ];
      walk = path: s: builtins.concatMap (n: visit (path ++ [ n ]) s.${n}) (attrNames s);
    in
    walk [ ] set;

  # The longest prefix of attrPath that exists in v.
  # Example: longestValidPathPrefix [ "a" "b" "c" ] { a.b = 1; } => [ "a" "b" ]
  longestValidPathPrefix = attrPath: v:
    let
      n = builtins.length attrPath;
      go = s: i:
        if i == n then attrPath
        else let attr = elemAt attrPath i; in
        if s ? ${attr} then go s.${attr} (i + 1) else lib.lists.take i attrPath;
    in
    go v 0;
}
