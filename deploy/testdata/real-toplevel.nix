# A system for testing the deploy engine against the real remote switcher
# (nix-modules/scripts/switcher/bin/nixmesh-switch). Its switch-to-configuration only records the system as
# active, like the standalone activation does; with salt = "bad" it fails instead, and
# with salt = "badboot" only its `boot` fails (after the confirmation); with "units" and
# "reboot" it activates, then exits as NixOS's does when units failed (4) or a reboot is
# needed (100).
{ salt ? "" }:
derivation {
  name = "nixmesh-test-real-system";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  switcher = ../../nix-modules/scripts/switcher/bin/nixmesh-switch;
  inherit salt;
  args = [ "-c" ''
    PATH=/usr/bin:/bin
    mkdir -p $out/bin
    cp $switcher $out/bin/nixmesh-switch
    cat > $out/bin/switch-to-configuration <<EOS
    #!/bin/sh
    case "\$1" in
      test|switch)
        if [ "$salt" = bad ]; then echo "activation of $out failed" >&2; exit 1; fi
        mkdir -p /var/lib/nixmesh && ln -sfn $out /var/lib/nixmesh/current-system
        if [ "$salt" = units ]; then echo "warning: the following units failed: nginx.service" >&2; exit 4; fi
        if [ "$salt" = reboot ]; then exit 100; fi ;;
      dry-activate) echo "would activate $out" ;;
      boot)
        if [ "$salt" = badboot ]; then echo "boot of $out failed" >&2; exit 1; fi ;;
    esac
    EOS
    chmod +x $out/bin/nixmesh-switch $out/bin/switch-to-configuration
  '' ];
}
