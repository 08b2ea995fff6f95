# A small system for the deploy tests: a toplevel with a fake switcher (fake-switch.sh,
# logging into ctl) that references one dependency, so its closure has two paths.
{ ctl, salt ? "" }:
let
  dep = derivation {
    name = "nixmesh-test-dep";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo dependency > $out" ];
  };
in
derivation {
  name = "nixmesh-test-system";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  switcher = ./fake-switch.sh;
  inherit dep ctl salt;
  args = [ "-c" ''
    PATH=/usr/bin:/bin
    mkdir -p $out/bin
    echo $dep > $out/dep
    sed "s|@ctl@|$ctl|g" $switcher > $out/bin/nixmesh-switch
    chmod +x $out/bin/nixmesh-switch
  '' ];
} // { inherit dep; }
