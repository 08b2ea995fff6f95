{
  listOfSub = [ { v = "one"; } ];
}
