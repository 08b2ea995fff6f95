// Package scripts holds the tests of the shell programs in nix-modules/scripts: the
// remote switcher (switch.sh, installed on every host as bin/nixmesh-switch) and the
// generated deploy script of front door 1 (deploy-script.nix). The programs themselves
// are not Go; this package has no code other packages import.
package scripts
