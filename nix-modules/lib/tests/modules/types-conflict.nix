# Second definitions that do not merge.
{
  t.bool = false;
  t.int = 5;
  t.str = "other";
  t.uniq = 2;
  t.unique = "v";
  t.raw = { };
  t.anything.l = [ 2 ];
  t.nullOr = 3;
  t.either = 1;
  t.package = derivation { name = "pkg2"; system = "x86_64-linux"; builder = "/bin/sh"; };
  t.unspecified = "not a list";
}
