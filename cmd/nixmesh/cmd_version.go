package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/internal/command"
)

// version is set at link time: go build -ldflags "-X main.version=1.2.3".
var version = ""

type versionOptions struct{ global *globalOptions }

func newVersionCommand(g *globalOptions) *cobra.Command {
	opts := versionOptions{global: g}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the versions of nixmesh, Go and Nix",
		Example: "  nixmesh version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
}

func runVersion(ctx context.Context, opts versionOptions, out io.Writer) error {
	v := version
	if v == "" {
		v = "(devel)"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	fmt.Fprintf(out, "nixmesh %s\n", v)
	fmt.Fprintf(out, "go      %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	nix := "not found on PATH"
	if b, err := command.Output(ctx, command.Cmd{Argv: []string{"nix-instantiate", "--version"}, Env: opts.global.Env}); err == nil {
		nix = strings.TrimSpace(string(b))
	}
	fmt.Fprintf(out, "nix     %s\n", nix)
	return nil
}
