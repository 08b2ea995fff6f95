# Deliberately failing cases: the driver must report every one of them as not ok
# (checked by TestHelpersDriverReportsFailures), so a driver that passes everything
# cannot go unnoticed.
{ lib }:
{
  wrongValue = { expr = 1 + 1; expected = 3; };
  wrongType = { expr = "1"; expected = 1; };
  wrongNesting = { expr = { a = [ 1 ]; }; expected = { a = [ 1 2 ]; }; };
  throwsInsteadOfValue = { expr = throw "boom"; expected = 1; };
  throwsDeepInsteadOfValue = { expr = { a = [ (throw "deep") ]; }; expected = { a = [ 1 ]; }; };
  valueInsteadOfThrow = { expr = 1; throws = true; };
  functionNeverEqual = { expr = x: x; expected = x: x; };
}
