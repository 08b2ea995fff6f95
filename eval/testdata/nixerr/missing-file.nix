{ plan = import ./does-not-exist.nix; }
