{ plan = 1 + "a"; }
