# The framework's options without a deployment: nix-modules evaluated with an empty
# module. `nixmesh options` uses it when there is no deploy.nix; `modules` is the path
# of nix-modules (passed with --argstr).
{ modules }:
(import modules { } { }).optionsList
