let f = x: assert x > 3; x; in { plan = f 1; }
