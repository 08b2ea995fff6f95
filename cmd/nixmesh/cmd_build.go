package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/internal/progress"
)

type buildOptions struct {
	global    *globalOptions
	Selectors []string
	NixArgs   []string
	Parallel  int
	workers   workerOptions
}

func newBuildCommand(g *globalOptions) *cobra.Command {
	opts := buildOptions{global: g}
	cmd := &cobra.Command{
		Use:   "build [NODE|@TAG|GLOB...] [-- NIX-ARGS...]",
		Short: "Build the selected nodes' systems",
		Long: `Evaluate the selected nodes (each once, in worker processes: --eval-workers at a
time, --eval-batch nodes each, within --eval-memory together) with their checks,
instantiate their systems, and build them in parallel (systems already in the store
are not built again; --builders hands the builds to Nix's remote builders). Prints
"NODE<TAB>STORE-PATH" for each node that built; exits with 4 naming every node that
did not.`,
		Example: `  nixmesh build                     every enabled node
  nixmesh build 'web-*' --parallel 4
  nixmesh build --eval-batch 5      at most 5 hosts in one evaluation process (memory)
  nixmesh build --eval-memory 6GiB  the evaluation processes use at most 6 GiB together
  nixmesh build --builders 'ssh://root@build1 x86_64-linux' --max-jobs 0
                                    build everything on build1, copy the results here`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			return runBuild(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVarP(&opts.Parallel, "parallel", "j", 0, "build at most `N` nodes at once (0: one per CPU)")
	opts.workers.flags(cmd)
	return cmd
}

func runBuild(ctx context.Context, opts buildOptions, out io.Writer) error {
	if opts.Parallel < 0 {
		return usageErrorf("--parallel must not be negative")
	}
	ev, _, names, drvs, err := opts.global.evalSelected(ctx, opts.NixArgs, opts.Selectors, opts.workers)
	if err != nil {
		return err
	}
	display := progress.Auto(opts.global.Stderr, names, opts.global.Verbose)
	paths, err := ev.Build(ctx, drvs, opts.Parallel, display)
	display.Close()
	for _, name := range names {
		if p, ok := paths[name]; ok {
			fmt.Fprintf(out, "%s\t%s\n", name, p)
		}
	}
	return err
}
