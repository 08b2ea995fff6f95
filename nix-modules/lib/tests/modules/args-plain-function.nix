# A function without a pattern gets lib, config, options and specialArgs.
args: {
  list = [ (if args ? lib && args ? config && args ? options then "plain-ok" else "plain-missing") args.fixtureSpecial ];
}
