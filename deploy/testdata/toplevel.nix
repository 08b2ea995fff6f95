# A small system for the deploy tests: a toplevel with a fake switcher (fake-switch.sh)
# and a fake bin/switch-to-configuration (fake-stc.sh), both logging into ctl, that
# references one dependency, so its closure has two paths.
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
  stc = ./fake-stc.sh;
  inherit dep ctl salt;
  args = [ "-c" ''
    PATH=/usr/bin:/bin
    mkdir -p $out/bin
    echo $dep > $out/dep
    sed "s|@ctl@|$ctl|g" $switcher > $out/bin/nixmesh-switch
    sed "s|@ctl@|$ctl|g" $stc > $out/bin/switch-to-configuration
    chmod +x $out/bin/nixmesh-switch $out/bin/switch-to-configuration
  '' ];
} // { inherit dep; }
