# A module whose key is a number is disabled by that number.
{
  imports = [ { key = 7; list = [ "keyed-7" ]; } { list = [ "kept" ]; } ];
  disabledModules = [ 7 ];
}
