# The nixmesh binary, built by Nix from this repository: the deploy engine that the
# generated deploy script (`./result`) pins when the entry point is given `nixpkgs` and
# no `nixmesh` binary (nix-modules/default.nix).
#
#   pkgs.callPackage ./nix-modules/package.nix { }
#
# Static (CGO_ENABLED=0): the same binary also writes the script and its plan file as
# their derivations' builder, in any sandbox (scripts/deploy-script.nix).
#
# vendorHash is the NAR hash of `go mod vendor`'s output for go.mod/go.sum; a test
# (nix-modules/tests/package_test.go) recomputes it, so it cannot go stale unnoticed.
# After changing the Go dependencies: go mod vendor -o /tmp/v/vendor && nix hash path /tmp/v/vendor
{ lib, buildGoModule, buildGo126Module ? null, version ? "0.0.0-nix" }:
let
  # The modules need Go 1.26; older nixpkgs name it buildGo126Module, newer ones make it
  # the default buildGoModule.
  build = if buildGo126Module != null then buildGo126Module else buildGoModule;

  root = ../.;

  # The Go sources and what they embed; nothing built or generated (bin/, result links,
  # lab files), no VCS data.
  src = builtins.path {
    name = "nixmesh-source";
    path = root;
    filter = path: type:
      let
        rel = lib.removePrefix (toString root + "/") (toString path);
        top = builtins.head (lib.splitString "/" rel);
        base = baseNameOf path;
      in
      !(builtins.elem top [ ".git" ".ci" "bin" "docs" ])
      && !(lib.hasPrefix "result" base)
      && !(builtins.elem base [ "lab-generated.nix" "dns-serials.json" ]);
  };
in
build {
  pname = "nixmesh";
  inherit version src;
  vendorHash = "sha256-uj/+a5Zi/5lJ4Cykm4W1t9F//WscL+gu/9DzfVFmyz8=";
  subPackages = [ "cmd/nixmesh" ];
  # Static, whatever the nixpkgs release calls the knob (an argument in older ones,
  # env.CGO_ENABLED in newer): the build's own shell has the last word.
  preBuild = "export CGO_ENABLED=0";
  ldflags = [ "-s" "-w" "-X main.version=${version}" ];
  # The test suite needs labs, root and a Nix daemon; CI runs it (README, "Tests").
  doCheck = false;
  meta = {
    description = "Deploys a fleet of Nix-managed hosts declared once in the module system";
    mainProgram = "nixmesh";
    platforms = lib.platforms.linux;
  };
}
