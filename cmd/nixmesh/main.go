// Command nixmesh evaluates, builds and deploys a fleet declared in one deploy.nix.
// The package is wiring only: flags into options structs, calls into eval, crossmodules
// and deploy, and one place (errors.go) that maps errors to messages and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == nixWriteArg {
		os.Exit(nixWrite(os.Args[2:], os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
