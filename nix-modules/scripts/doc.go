// Package scripts holds the tests of the shell programs in nix-modules/scripts: the
// remote switcher (switcher/bin/nixmesh-switch, installed on every host as
// bin/nixmesh-switch) and the generated deploy script of front door 1
// (deploy-script.nix), which runs the Go engine. The programs themselves are not Go; the
// only code other packages import is SecretUpload (programs.go), the secret-writing
// program the deploy engine runs.
package scripts
