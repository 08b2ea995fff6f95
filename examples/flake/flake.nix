# A nixmesh deployment as a flake. `nix flake init -t github:nixmesh/nixmesh` puts this
# file and network.nix here; then
#
#   nixmesh deploy --flake .            (nixmeshConfigurations.default; --flake .#NAME)
#   nix build .#nixmeshConfigurations.default && ./result     (the pure-Nix front door)
#
# For NixOS hosts, add a nixpkgs input and pass it: mkDeployment { inherit nixpkgs; }.
{
  inputs.nixmesh.url = "github:nixmesh/nixmesh";
  # inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixmesh, ... }: {
    # system: the hosts' platform, and the deploying machine's (a flake's evaluation
    # cannot ask which machine it runs on).
    nixmeshConfigurations.default = nixmesh.lib.mkDeployment { system = "x86_64-linux"; } ./network.nix;
  };
}
