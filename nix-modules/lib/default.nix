# The bundled lib, as users see it: nixpkgs' sections and top-level names (./surface.nix
# builds it; tests of the lib's own helpers read its `internal` view).
(import ./surface.nix).public
