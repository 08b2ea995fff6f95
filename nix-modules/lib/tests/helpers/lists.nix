# Cases for lib/lists.nix. Each: { expr; expected; } or { expr; throws = true; }.
{ lib }:
with lib;
with lib.lists; # the section's own names (nixpkgs keeps some only there)
{
  foldrOrder = { expr = foldr (x: acc: [ x ] ++ acc) [ ] [ 1 2 3 ]; expected = [ 1 2 3 ]; };
  foldrSum = { expr = foldr (a: b: a + b) 0 [ 1 2 3 ]; expected = 6; };
  foldrEmpty = { expr = foldr (a: b: a + b) 7 [ ]; expected = 7; };
  foldrLazyTail = { expr = foldr (x: acc: x) 0 [ 1 (throw "not forced") ]; expected = 1; };
  foldlOrder = { expr = foldl (acc: x: acc ++ [ x ]) [ ] [ 1 2 3 ]; expected = [ 1 2 3 ]; };
  foldlStringOrder = { expr = foldl (acc: x: "(${acc}${x})") "" [ "a" "b" ]; expected = "((a)b)"; };
  foldlStrictSum = { expr = foldl' (a: b: a + b) 0 (range 1 100); expected = 5050; };
  foldrBigList = { expr = foldr (a: b: a + b) 0 (range 1 5000); expected = 12502500; };
  imap0 = { expr = imap0 (i: v: "${v}${toString i}") [ "a" "b" ]; expected = [ "a0" "b1" ]; };
  imap1 = { expr = imap1 (i: v: "${v}${toString i}") [ "a" "b" ]; expected = [ "a1" "b2" ]; };
  imapEmpty = { expr = imap0 (i: v: v) [ ]; expected = [ ]; };
  ifilter0 = { expr = ifilter0 (i: v: i == 0 || v > 2) [ 1 2 3 ]; expected = [ 1 3 ]; };
  concatMap = { expr = concatMap (x: [ x x ]) [ 1 2 ]; expected = [ 1 1 2 2 ]; };
  flattenNested = { expr = flatten [ 1 [ 2 [ 3 [ ] ] ] 4 ]; expected = [ 1 2 3 4 ]; };
  flattenScalar = { expr = flatten 1; expected = [ 1 ]; };
  removeAll = { expr = remove 3 [ 1 3 4 3 ]; expected = [ 1 4 ]; };
  findSingleOne = { expr = findSingle (x: x == 3) "none" "multiple" [ 1 3 3 ]; expected = "multiple"; };
  findSingleNone = { expr = findSingle (x: x == 9) "none" "multiple" [ 1 3 ]; expected = "none"; };
  findSingleExact = { expr = findSingle (x: x == 3) "none" "multiple" [ 1 3 ]; expected = 3; };
  findFirst = { expr = findFirst (x: x > 3) 7 [ 1 6 4 ]; expected = 6; };
  findFirstDefault = { expr = findFirst (x: x > 9) 7 [ 1 6 4 ]; expected = 7; };
  findFirstIndex = { expr = findFirstIndex (x: x > 3) null [ 0 6 4 ]; expected = 1; };
  findFirstIndexDefault = { expr = findFirstIndex (x: x > 9) "d" [ 0 6 4 ]; expected = "d"; };
  findFirstStopsAtMatch = { expr = findFirst (x: x > 1) null [ 1 2 (throw "not forced") ]; expected = 2; };
  anyAll = { expr = [ (any (x: x > 2) [ 1 3 ]) (all (x: x > 2) [ 1 3 ]) (any id [ ]) (all id [ ]) ]; expected = [ true false false true ]; };
  count = { expr = count (x: x == 1) [ 1 2 1 1 ]; expected = 3; };
  countEmpty = { expr = count (x: true) [ ]; expected = 0; };
  optional = { expr = [ (optional true 1) (optional false 1) ]; expected = [ [ 1 ] [ ] ]; };
  optionals = { expr = [ (optionals true [ 1 2 ]) (optionals false [ 1 2 ]) ]; expected = [ [ 1 2 ] [ ] ]; };
  toList = { expr = [ (toList 1) (toList [ 1 ]) (toList [ ]) ]; expected = [ [ 1 ] [ 1 ] [ ] ]; };
  forEach = { expr = forEach [ 1 2 ] (x: x * 2); expected = [ 2 4 ]; };
  filterElem = { expr = [ (filter (x: x != 2) [ 1 2 3 ]) (elem 2 [ 1 2 ]) (elem 5 [ ]) ]; expected = [ [ 1 3 ] true false ]; };
  range = { expr = range 2 4; expected = [ 2 3 4 ]; };
  rangeSingle = { expr = range 3 3; expected = [ 3 ]; };
  rangeEmpty = { expr = range 5 4; expected = [ ]; };
  rangeNegative = { expr = range (-1) 1; expected = [ (-1) 0 1 ]; };
  replicate = { expr = replicate 3 "a"; expected = [ "a" "a" "a" ]; };
  replicateZero = { expr = replicate 0 "a"; expected = [ ]; };
  singleton = { expr = singleton [ 1 ]; expected = [ [ 1 ] ]; };
  partition = { expr = partition (x: x > 2) [ 5 1 2 3 4 ]; expected = { right = [ 5 3 4 ]; wrong = [ 1 2 ]; }; };
  groupByKey = {
    expr = groupBy (x: if x > 2 then "big" else "small") [ 1 3 2 4 ];
    expected = { big = [ 3 4 ]; small = [ 1 2 ]; };
  };
  groupByPrime = {
    expr = groupBy' builtins.add 0 (x: if x > 2 then "big" else "small") [ 1 2 3 4 ];
    expected = { big = 7; small = 3; };
  };
  groupByPrimeOrder = {
    expr = groupBy' (acc: x: acc + x) "" (s: builtins.substring 0 1 s) [ "a1" "b1" "a2" ];
    expected = { a = "a1a2"; b = "b1"; };
  };
  zipListsWithShortest = { expr = zipListsWith (a: b: a + b) [ 1 2 3 ] [ 10 20 ]; expected = [ 11 22 ]; };
  zipLists = { expr = zipLists [ 1 2 ] [ "a" "b" ]; expected = [ { fst = 1; snd = "a"; } { fst = 2; snd = "b"; } ]; };
  reverseList = { expr = [ (reverseList [ 1 2 3 ]) (reverseList [ ]) ]; expected = [ [ 3 2 1 ] [ ] ]; };
  toposortChain = { expr = toposort (a: b: a < b) [ 3 1 2 ]; expected = { result = [ 1 2 3 ]; }; };
  toposortEmpty = { expr = toposort (a: b: a < b) [ ]; expected = { result = [ ]; }; };
  toposortPaths = {
    expr = toposort lib.strings.hasPrefix [ "/" "/a/b/c" "/a/b" "/a" ];
    expected = { result = [ "/" "/a" "/a/b" "/a/b/c" ]; };
  };
  toposortCycle = {
    expr = toposort (a: b: a == "x" && b == "y" || a == "y" && b == "x") [ "x" "y" ];
    expected = { cycle = [ "x" "y" ]; loops = [ "x" ]; };
  };
  listDfsMinimal = {
    expr = listDfs true lib.strings.hasPrefix [ "/home/user" "other" "/" "/home" ];
    expected = { minimal = "/"; visited = [ "/home/user" ]; rest = [ "/home" "other" ]; };
  };
  sortInts = { expr = sort (a: b: a < b) [ 3 1 2 ]; expected = [ 1 2 3 ]; };
  sortOn = { expr = sortOn builtins.stringLength [ "ccc" "a" "bb" ]; expected = [ "a" "bb" "ccc" ]; };
  sortOnStable = { expr = sortOn (x: x.k) [ { k = 1; v = "a"; } { k = 0; v = "b"; } { k = 1; v = "c"; } ]; expected = [ { k = 0; v = "b"; } { k = 1; v = "a"; } { k = 1; v = "c"; } ]; };
  naturalSort = { expr = naturalSort [ "disk11" "disk2" "disk1" "disk10" ]; expected = [ "disk1" "disk2" "disk10" "disk11" ]; };
  naturalSortVersions = { expr = naturalSort [ "1.10" "1.9" "1.2" ]; expected = [ "1.2" "1.9" "1.10" ]; };
  compareLists = {
    expr = [ (compareLists compare [ ] [ ]) (compareLists compare [ ] [ 1 ]) (compareLists compare [ 1 ] [ ]) (compareLists compare [ 1 2 ] [ 1 3 ]) (compareLists compare [ 2 ] [ 1 5 ]) ];
    expected = [ 0 (-1) 1 (-1) 1 ];
  };
  take = { expr = [ (take 2 [ 1 2 3 ]) (take 5 [ 1 ]) (take 0 [ 1 ]) (take 2 [ ]) ]; expected = [ [ 1 2 ] [ 1 ] [ ] [ ] ]; };
  drop = { expr = [ (drop 2 [ 1 2 3 ]) (drop 5 [ 1 ]) (drop 0 [ 1 ]) ]; expected = [ [ 3 ] [ ] [ 1 ] ]; };
  sublist = { expr = [ (sublist 1 2 [ 0 1 2 3 ]) (sublist 3 5 [ 0 1 2 3 ]) (sublist 9 1 [ 0 ]) ]; expected = [ [ 1 2 ] [ 3 ] [ ] ]; };
  takeDropEnd = { expr = [ (takeEnd 2 [ 1 2 3 ]) (dropEnd 2 [ 1 2 3 ]) ]; expected = [ [ 2 3 ] [ 1 ] ]; };
  lastInit = { expr = [ (last [ 1 2 3 ]) (init [ 1 2 3 ]) (init [ 1 ]) ]; expected = [ 3 [ 1 2 ] [ ] ]; };
  lastEmptyThrows = { expr = last [ ]; throws = true; };
  initEmptyThrows = { expr = init [ ]; throws = true; };
  headTailElemAtLength = { expr = [ (head [ 1 2 ]) (tail [ 1 2 ]) (elemAt [ 1 2 ] 1) (length [ ]) ]; expected = [ 1 [ 2 ] 2 0 ]; };
  unique = { expr = unique [ 3 1 3 2 1 ]; expected = [ 3 1 2 ]; };
  uniqueEmpty = { expr = unique [ ]; expected = [ ]; };
  uniqueAttrs = { expr = unique [ { a = 1; } { a = 1; } { a = 2; } ]; expected = [ { a = 1; } { a = 2; } ]; };
  uniqueStrings = { expr = uniqueStrings [ "b" "a" "b" ]; expected = [ "a" "b" ]; };
  allUnique = { expr = [ (allUnique [ 1 2 ]) (allUnique [ 1 2 1 ]) (allUnique [ ]) ]; expected = [ true false true ]; };
  intersectLists = { expr = intersectLists [ 1 2 3 ] [ 4 3 2 ]; expected = [ 3 2 ]; };
  subtractLists = { expr = subtractLists [ 3 2 ] [ 1 2 3 4 5 3 ]; expected = [ 1 4 5 ]; };
  mutuallyExclusive = { expr = [ (mutuallyExclusive [ 1 2 ] [ 3 ]) (mutuallyExclusive [ 1 2 ] [ 2 ]) (mutuallyExclusive [ ] [ 1 ]) ]; expected = [ true false true ]; };
  crossLists = {
    expr = crossLists (x: y: "${toString x}${toString y}") [ [ 1 2 ] [ 3 4 ] ];
    expected = [ "13" "14" "23" "24" ];
  };
  genList = { expr = genList (x: x * x) 4; expected = [ 0 1 4 9 ]; };
  commonPrefix = { expr = [ (commonPrefix [ 1 2 3 ] [ 1 2 4 ]) (commonPrefix [ 1 ] [ 2 ]) (commonPrefix [ 1 2 ] [ 1 2 3 ]) ]; expected = [ [ 1 2 ] [ ] [ 1 2 ] ]; };
  concatListsBuiltin = { expr = concatLists [ [ 1 ] [ ] [ 2 3 ] ]; expected = [ 1 2 3 ]; };
}
