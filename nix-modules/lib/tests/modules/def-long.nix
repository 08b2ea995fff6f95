{
  int = builtins.genList (i: "element number ${toString i} of a long list") 100;
}
