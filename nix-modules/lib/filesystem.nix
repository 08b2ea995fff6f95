# Paths and directories (nixpkgs' `lib.filesystem`, without the package-set helpers
# haskellPathsInDir and packagesFromDirectoryRecursive). Our own code.
{ lib }:
let
  inherit (builtins) pathExists readDir dirOf baseNameOf;

  # Nix 2.8 has no builtins.readFileType: ask the parent directory instead.
  fileType = builtins.readFileType or (path:
    if !(pathExists path) then abort "lib.filesystem.pathType: Path ${toString path} does not exist."
    else if toString path == "/" then "directory"
    else (readDir (dirOf path)).${baseNameOf path});

  self = {
    inherit (builtins) baseNameOf dirOf isPath readDir hashFile;

    # "directory", "regular", "symlink" or "unknown".
    readFileType = fileType;
    pathType = fileType;

    pathIsDirectory = path: pathExists path && fileType path == "directory";
    pathIsRegularFile = path: pathExists path && fileType path == "regular";

    # Every file below a directory, as paths (symlinks as files, not followed).
    listFilesRecursive = dir:
      lib.lists.flatten (lib.attrsets.mapAttrsToList
        (name: type: if type == "directory" then self.listFilesRecursive (dir + "/${name}") else dir + "/${name}")
        (readDir dir));

    # The nearest directory, from `file`'s own (or `file` if it is a directory) up to
    # the root, holding an entry whose name matches the regex `pattern`:
    # { path; matches; } (matches: each matching name's capture groups), or null.
    locateDominatingFile = pattern: file:
      let
        search = path:
          let found = builtins.filter (m: m != null) (map (builtins.match pattern) (builtins.attrNames (readDir path))); in
          if found != [ ] then { inherit path; matches = found; }
          else if toString path == "/" then null
          else search (dirOf path);
        parent = dirOf file;
        isDir = toString file == "/" || ((readDir parent).${baseNameOf file} or null) == "directory";
      in
      search (if isDir then file else parent);

    # A directory's default.nix; any other path as it is (a string ending in "/" gets
    # "default.nix" appended).
    resolveDefaultNix = v:
      if self.pathIsDirectory v then v + "/default.nix"
      else if builtins.isString v && lib.strings.hasSuffix "/" v then v + "default.nix"
      else v;
  };
in
self
