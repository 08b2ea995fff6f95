# `assertions' and `warnings' declared as NixOS declares them: nixpkgs' rename and
# removal modules define them (the bundled ones too, when declared).
{ lib, ... }: {
  options.assertions = lib.mkOption { type = lib.types.listOf lib.types.unspecified; default = [ ]; };
  options.warnings = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
}
