{ plan = derivation { name = "bad"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo step one; echo oops >&2; exit 3" ]; }; }
