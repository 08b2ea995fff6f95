# Cases for lib.filesystem, on the small tree in ./tree. Each: { expr; expected; }.
# (A file of its own: nixpkgs' current filesystem.nix needs builtins.readFileType, which
# Nix 2.8 lacks, so the real-lib parity test compares these with an older nixpkgs lib.)
{ lib }:
let inherit (lib) filesystem; in
{
  pathTypes = {
    expr = [ (filesystem.pathType ./tree) (filesystem.pathType ./tree/a.txt) (filesystem.pathIsDirectory ./tree) (filesystem.pathIsDirectory ./tree/a.txt) (filesystem.pathIsRegularFile ./tree/a.txt) (filesystem.pathIsRegularFile ./missing) (filesystem.pathType /.) ];
    expected = [ "directory" "regular" true false true false "directory" ];
  };
  listFilesRecursive = { expr = filesystem.listFilesRecursive ./tree; expected = [ ./tree/a.txt ./tree/sub/b.txt ./tree/sub/default.nix ]; };
  locateDominatingFile = {
    expr = [ (filesystem.locateDominatingFile "(a)[.]txt" ./tree/sub/b.txt) (filesystem.locateDominatingFile "nothing-like-this" ./tree/sub) ];
    expected = [ { path = ./tree; matches = [ [ "a" ] ]; } null ];
  };
  resolveDefaultNix = { expr = [ (filesystem.resolveDefaultNix ./tree/sub) (filesystem.resolveDefaultNix ./tree/a.txt) (filesystem.resolveDefaultNix "/nonexistent-dir/") ]; expected = [ ./tree/sub/default.nix ./tree/a.txt "/nonexistent-dir/default.nix" ]; };

}
