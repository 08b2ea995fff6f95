# Fixed points and overlays (nixpkgs' `lib.fixedPoints`). Our own code.
{ lib }:
let
  self = {
    # The fixed point of f: f (fix f).
    # Example: fix (self: { a = 1; b = self.a + 1; }) => { a = 1; b = 2; }
    fix = f: let x = f x; in x;

    # Like fix, but the result carries `__unfix__` to re-open it.
    "fix'" = f: let x = f x // { __unfix__ = f; }; in x;

    # Apply f until the value no longer changes.   converge :: (a -> a) -> a -> a
    # Example: converge (x: if x < 10 then x + 3 else x) 0 => 12
    converge = f: x: let next = f x; in if next == x then x else self.converge f next;

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
    composeManyExtensions = lib.lists.foldr self.composeExtensions (_: _: { });

    # An attribute set that can be extended with `.extend (final: prev: ...)`.
    makeExtensible = self.makeExtensibleWithCustomName "extend";
    makeExtensibleWithCustomName = extenderName: rattrs:
      self."fix'" (fixed: (rattrs fixed) // {
        ${extenderName} = f: self.makeExtensibleWithCustomName extenderName (self.extends f rattrs);
      });

    # Any of `{ ... }`, `prev: { ... }` or `final: prev: { ... }` as an overlay
    # (final: prev: { ... }). A one-argument function is told apart from a two-argument
    # one by whether applying it to `prev` gives a function.
    toExtension = f:
      if lib.trivial.isFunction f then
        final: prev:
          let applied = f prev; in
          if lib.trivial.isFunction applied then f final prev else applied
      else
        final: prev: f;
  };
in
self
