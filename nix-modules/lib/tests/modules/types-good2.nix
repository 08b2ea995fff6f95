# Second definitions, to see how each type merges.
{ lib, ... }: {
  t = {
    bool = true;
    lines = "second";
    commas = "b";
    sep = "y";
    listOf = [ 3 ];
    attrsOf = { b = false; };
    lazyAttrsOf = { b = "y"; };
    anything = { a.c = 2; l = [ 1 ]; };
    attrs = { a = { c = 2; }; };
    unspecified = [ 2 ];
    functionTo = x: [ (x + 1) ];
    coercedTo = [ "list" ];
    submodule = { };
    nullOr = null;
    enum = 3;
  };
}
