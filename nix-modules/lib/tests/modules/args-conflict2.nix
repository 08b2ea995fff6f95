{ shared, lib, ... }: {
  _module.args.shared = 2;
  list = [ (toString shared) ];
}
