# Assertions with messages (nixpkgs' `lib.asserts`). Our own code.
{ lib }:
{
  # assert with a message: `assert assertMsg (x > 0) "x must be positive"; ...`
  assertMsg = pred: msg: pred || builtins.throw msg;

  # Check that `val` is one of `xs`, naming it `name` on failure.
  assertOneOf = name: val: xs:
    lib.asserts.assertMsg (builtins.elem val xs)
      "${name} must be one of ${builtins.toJSON xs}, but is: ${builtins.toJSON val}";

  # Check that every element of `vals` is one of `xs`.
  assertEachOneOf = name: vals: xs:
    lib.asserts.assertMsg (builtins.all (v: builtins.elem v xs) vals)
      "each element in ${name} must be one of ${builtins.toJSON xs}, but is: ${builtins.toJSON vals}";

  # What a module-system evaluation does with its `assertions` and `warnings`: throw
  # listing every failed assertion's message, else print the warnings and return `val`.
  # checkAssertWarn :: [ { assertion; message; } ] -> [ string ] -> a -> a
  checkAssertWarn = assertions: warnings: val:
    let failed = map (a: a.message) (builtins.filter (a: !a.assertion) assertions); in
    if failed == [ ] then lib.showWarnings warnings val
    else builtins.throw "\nFailed assertions:\n${builtins.concatStringsSep "\n" (map (m: "- ${m}") failed)}";
}
