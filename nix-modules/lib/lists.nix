# List helpers. Names, argument orders and semantics follow nixpkgs' `lib.lists`; the
# code is our own. Index-based (genList/elemAt) where nixpkgs' semantics allow, so long
# lists do not cost quadratic time.
{ lib }:
let
  inherit (builtins) length elemAt genList filter head tail isList foldl' concatMap
    sort lessThan;
in
rec {
  inherit (builtins) map filter elem elemAt length head tail genList concatLists concatMap
    any all partition sort isList foldl' groupBy;

  # Right fold: foldr op nul [ x1 x2 ] == op x1 (op x2 nul). Lazy in the tail.
  # Example: foldr (a: b: a + b) 0 [ 1 2 3 ] => 6
  foldr = op: nul: list:
    let
      n = length list;
      go = i: if i == n then nul else op (elemAt list i) (go (i + 1));
    in
    go 0;

  # Deprecated alias of foldr, kept for old callers.
  fold = foldr;

  # Left fold: foldl op nul [ x1 x2 ] == op (op nul x1) x2. Lazy in the accumulator
  # (use foldl' to force it at each step).
  foldl = op: nul: list:
    let
      go = i: if i < 0 then nul else op (go (i - 1)) (elemAt list i);
    in
    go (length list - 1);

  # Map with the index, counting from 0 / from 1.
  # Example: imap0 (i: v: "${v}${toString i}") [ "a" "b" ] => [ "a0" "b1" ]
  imap0 = f: list: genList (i: f i (elemAt list i)) (length list);
  imap1 = f: list: genList (i: f (i + 1) (elemAt list i)) (length list);
  imap = imap1;

  # Filter with the index (from 0).
  ifilter0 = pred: list:
    map (i: elemAt list i)
      (filter (i: pred i (elemAt list i)) (genList (i: i) (length list)));

  # Flatten nested lists; a non-list becomes a one-element list.
  # Example: flatten [ 1 [ 2 [ 3 ] ] ] => [ 1 2 3 ]
  flatten = x: if isList x then concatMap flatten x else [ x ];

  # Drop every element equal to e.
  remove = e: filter (x: x != e);

  # The single element satisfying pred; `default` when none, `multiple` when more.
  findSingle = pred: default: multiple: list:
    let found = filter pred list; in
    if found == [ ] then default
    else if length found > 1 then multiple
    else head found;

  # Index of the first element satisfying pred, or `default`. pred is not called
  # on the elements after the first match.
  findFirstIndex = pred: default: list:
    let
      # Negative while searching (-1 - number of elements seen), the index once found.
      r = foldl' (st: x: if st >= 0 then st else if pred x then -st - 1 else st - 1) (-1) list;
    in
    if r < 0 then default else r;

  # First element satisfying pred, or `default`.
  findFirst = pred: default: list:
    let i = findFirstIndex pred null list; in
    if i == null then default else elemAt list i;

  # Number of elements satisfying pred.
  count = pred: foldl' (c: x: if pred x then c + 1 else c) 0;

  # [ x ] when cond holds, else [ ].
  optional = cond: x: if cond then [ x ] else [ ];

  # The list when cond holds, else [ ].
  optionals = cond: xs: if cond then xs else [ ];

  # A list stays; any other value becomes a one-element list.
  toList = x: if isList x then x else [ x ];

  # map with the arguments flipped.
  forEach = xs: f: map f xs;

  # Integers from first to last, inclusive; [ ] when first > last.
  # Example: range 2 4 => [ 2 3 4 ]
  range = first: last:
    if first > last then [ ] else genList (i: first + i) (last - first + 1);

  # n copies of x.
  replicate = n: x: genList (_: x) n;

  # One-element list.
  singleton = x: [ x ];

  # Group by a key function, folding each group with op (left fold from nul).
  # Example: groupBy' builtins.add 0 (x: if x > 2 then "big" else "small") [ 1 2 3 ]
  #   => { big = 3; small = 3; }
  "groupBy'" = op: nul: pred: list:
    builtins.mapAttrs (_: foldl op nul) (builtins.groupBy pred list);

  # Pairwise combination, as long as the shorter list.
  zipListsWith = f: a: b:
    genList (i: f (elemAt a i) (elemAt b i)) (lib.min (length a) (length b));

  # Pairs { fst, snd }.
  zipLists = zipListsWith (fst: snd: { inherit fst snd; });

  # The list reversed.
  reverseList = list:
    let n = length list; in genList (i: elemAt list (n - 1 - i)) n;

  # Depth-first search for a minimal element under `before` (same result shape as
  # nixpkgs): { minimal, visited, rest } or, when stopOnCycles and a cycle is met,
  # { cycle, loops, visited, rest }.
  listDfs = stopOnCycles: before: list:
    let
      step = current: visited: rest:
        let
          loops = filter (x: before x current) visited;
          split = builtins.partition (x: before x current) rest;
        in
        if stopOnCycles && loops != [ ] then
          { cycle = current; inherit loops visited rest; }
        else if split.right == [ ] then
          { minimal = current; inherit visited rest; }
        else
          step (head split.right) ([ current ] ++ visited) (tail split.right ++ split.wrong);
    in
    step (head list) [ ] (tail list);

  # Topological sort: `before a b` means a must come before b. Returns
  # { result = [ ... ]; } or { cycle = [ ... ]; loops = [ ... ]; }.
  # Example: toposort (a: b: a < b) [ 3 1 2 ] => { result = [ 1 2 3 ]; }
  toposort = before: list:
    if length list < 2 then
      { result = list; }
    else
      let
        dfs = listDfs true before list;
        rest = toposort before (dfs.visited ++ dfs.rest);
      in
      if dfs ? cycle then
        { cycle = reverseList ([ dfs.cycle ] ++ dfs.visited); inherit (dfs) loops; }
      else if rest ? cycle then
        rest
      else
        { result = [ dfs.minimal ] ++ rest.result; };

  # Stable sort by a key computed once per element.
  # Example: sortOn builtins.stringLength [ "ccc" "a" "bb" ] => [ "a" "bb" "ccc" ]
  sortOn = f: list:
    map (p: elemAt p 1)
      (sort (a: b: head a < head b) (map (x: [ (f x) x ]) list));

  # Lexicographic comparison of two lists with an element comparator (-1/0/1).
  compareLists = cmp: a: b:
    let
      la = length a;
      lb = length b;
      go = i:
        if i == la then (if i == lb then 0 else -1)
        else if i == lb then 1
        else
          let r = cmp (elemAt a i) (elemAt b i); in
          if r == 0 then go (i + 1) else r;
    in
    go 0;

  # Sort strings treating runs of digits as numbers.
  # Example: naturalSort [ "a10" "a2" "a1" ] => [ "a1" "a2" "a10" ]
  naturalSort = list:
    let
      key = s: map (part: if isList part then builtins.fromJSON (head part) else part)
        (builtins.split "(0|[1-9][0-9]*)" s);
      keyed = map (s: [ (key s) s ]) list;
    in
    map (p: elemAt p 1)
      (sort (a: b: compareLists lib.compare (head a) (head b) < 0) keyed);

  # count elements from index start (clamped to the list).
  sublist = start: count: list:
    let
      n = length list;
      s = lib.max 0 start;
      c = if s >= n then 0 else lib.max 0 (lib.min count (n - s));
    in
    genList (i: elemAt list (s + i)) c;

  # The first n elements / all but the first n elements.
  take = n: sublist 0 n;
  drop = n: list: sublist n (length list) list;

  # The last n elements / all but the last n elements.
  takeEnd = n: list: drop (length list - n) list;
  dropEnd = n: list: take (length list - n) list;

  # Last element / all but the last element; both fail on [ ].
  last = list:
    assert lib.assertMsg (list != [ ]) "lists.last: list must not be empty!";
    elemAt list (length list - 1);
  init = list:
    assert lib.assertMsg (list != [ ]) "lists.init: list must not be empty!";
    take (length list - 1) list;

  # The longest common prefix of two lists.
  commonPrefix = a: b:
    let
      n = lib.min (length a) (length b);
      i = findFirstIndex (k: elemAt a k != elemAt b k) n (genList (k: k) n);
    in
    take i a;

  # Remove duplicates, keeping the first occurrence.
  # Example: unique [ 3 1 3 2 1 ] => [ 3 1 2 ]
  unique = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];

  # Unique strings, sorted (fast for long lists).
  uniqueStrings = list: builtins.attrNames (builtins.groupBy (s: s) list);

  # Whether all elements are distinct.
  allUnique = list: length (unique list) == length list;

  # Elements of the second list that are in the first / are not in the first.
  intersectLists = e: filter (x: builtins.elem x e);
  subtractLists = e: filter (x: !(builtins.elem x e));

  # Whether the two lists share no element.
  mutuallyExclusive = a: b: a == [ ] || !(builtins.any (x: builtins.elem x a) b);

  # Apply f to every combination of the lists' elements, first list varying slowest.
  # Example: crossLists (x: y: "${toString x}${toString y}") [ [ 1 2 ] [ 3 4 ] ]
  #   => [ "13" "14" "23" "24" ]
  crossLists = f: lists:
    foldl' (fs: args: concatMap (g: map g args) fs) [ f ] lists;

  # The list with element `idx` replaced (the index must exist).
  # Example: replaceElemAt [ 1 2 3 ] 0 "a" => [ "a" 2 3 ]
  replaceElemAt = list: idx: newElem:
    assert lib.asserts.assertMsg (idx >= 0 && idx < length list)
      "'lists.replaceElemAt' called with index ${toString idx} on a list of size ${toString (length list)}";
    genList (i: if i == idx then newElem else elemAt list i) (length list);

  # The concatenation of an attribute set's list values, in name order.
  # Example: concatAttrValues { b = [ 2 ]; a = [ 1 ]; } => [ 1 2 ]
  concatAttrValues = set: concatLists (builtins.attrValues set);

  # List prefixes (only as lib.lists.hasPrefix / removePrefix: at the top of lib and
  # in lib.strings these names are the string functions, as in nixpkgs).
  # Example: lists.hasPrefix [ 1 ] [ 1 2 ] => true; lists.removePrefix [ 1 ] [ 1 2 ] => [ 2 ]
  hasPrefix = list1: list2: take (length list1) list2 == list1;
  removePrefix = list1: list2:
    if hasPrefix list1 list2 then drop (length list1) list2
    else throw "lib.lists.removePrefix: First argument is not a list prefix of the second argument";
}
