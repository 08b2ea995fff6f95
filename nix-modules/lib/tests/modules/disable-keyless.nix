# A disabledModules entry that is a module without a key cannot name anything.
{
  disabledModules = [ { list = [ "x" ]; } ];
}
