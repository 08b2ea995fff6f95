{ plan = abort "something went very wrong"; }
