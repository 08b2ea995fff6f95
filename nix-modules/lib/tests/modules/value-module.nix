# Evaluates an inline (value) module: its file is taken from its attributes' positions.
{ lib, ... }: {
  options.inline = lib.mkOption { type = lib.types.raw; };
  config.inline = lib.evalModules {
    modules = [
      { options.x = lib.mkOption { type = lib.types.int; }; }
      { x = "inline-bad"; }
    ];
  };
}
