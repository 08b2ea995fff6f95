# Fails like the module system does: a type error naming the option path and the
# definition's FILE:LINE:COL (taken from this file, as the module system would).
let
  definition = {
    port = 70000;
  };
  pos = builtins.unsafeGetAttrPos "port" definition;
  failure = throw ''
    A definition for option `nodes.web.port' is not of type `16 bit unsigned integer; between 0 and 65535 (both inclusive)'. Definition values:
    - In `${pos.file}:${toString pos.line}:${toString pos.column}': 70000'';
in
{
  # The index reads no port; everything that reads web's plan entry fails.
  nodeIndex.web = { enable = true; tags = [ ]; };
  forNodes = names: { plan = failure; drvPaths = failure; };
  connectionPlan = failure;
  plan = failure;
  systems = { };
}
