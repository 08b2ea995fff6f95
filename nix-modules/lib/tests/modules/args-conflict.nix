{
  _module.args.shared = 1;
}
