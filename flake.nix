{
  description = "nixmesh: deploy a fleet of Nix-managed hosts declared once in the module system";

  # No inputs: nixpkgs is the user's to give (see examples/flake).
  outputs = { self }: {
    # mkDeployment ARGS MODULE: the deployment, as `import ./nix-modules ARGS MODULE`
    # (ARGS: { nixpkgs ? null, nixmesh ? null, system ? ..., lib ? null }). Its value is
    # the deploy script (a derivation: `nix build .#nixmeshConfigurations.NAME`) with
    # plan, systems.<node>, nodes.<node>, config and options, as without flakes.
    lib.mkDeployment = args: module: import ./nix-modules args module;

    templates.default = {
      path = ./examples/flake;
      description = "A nixmesh deployment as a flake (nixmeshConfigurations.default)";
    };
  };
}
