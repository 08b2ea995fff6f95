# Imports a file that does not exist: the message names the importing file too.
{ imports = [ ./does-not-exist.nix ]; }
