# Text snippets with dependencies, put in dependency order (nixpkgs'
# `lib.stringsWithDeps`, what NixOS's activation scripts are built from). Our own code.
#
#   textClosureMap (t: t) { a = noDepEntry "A"; b = stringAfter [ "a" ] "B"; } [ "b" ]
#     => "A\nB"
{ lib }:
let
  self = {
    # The texts of the named entries of `predefined` (and of the entries in `arg` itself
    # when they are entries, not names), each after its deps, each name once.
    textClosureList = predefined: arg:
      let
        # visit DONE TODO -> { result; done; }
        visit = done: todo:
          if todo == [ ] then { result = [ ]; inherit done; }
          else
            let entry = builtins.head todo; rest = builtins.tail todo; in
            if builtins.isAttrs entry then
              let
                deps = visit done entry.deps;
                after = visit deps.done rest;
              in
              { result = deps.result ++ [ entry.text ] ++ after.result; inherit (after) done; }
            else if done ? ${entry} then visit done rest
            else visit (done // { ${entry} = 1; }) ([ predefined.${entry} ] ++ rest);
      in
      (visit { } arg).result;

    textClosureMap = f: predefined: names:
      lib.strings.concatMapStringsSep "\n" f (self.textClosureList predefined names);

    noDepEntry = text: { inherit text; deps = [ ]; };
    fullDepEntry = text: deps: { inherit text deps; };
    packEntry = deps: { inherit deps; text = ""; };
    stringAfter = deps: text: { inherit text deps; };
  };
in
self
