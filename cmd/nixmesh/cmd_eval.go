package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

type evalOptions struct {
	global    *globalOptions
	Selectors []string
	NixArgs   []string
	JSON      bool
	workers   workerOptions
}

func newEvalCommand(g *globalOptions) *cobra.Command {
	opts := evalOptions{global: g}
	cmd := &cobra.Command{
		Use:   "eval [NODE|@TAG|GLOB...] [-- NIX-ARGS...]",
		Short: "Show each host's resolved configuration",
		Long: `Evaluate the selected nodes and show, for each, how it is reached (connection), what
the cross-host features set on it (SSH access, known hosts, WireGuard, /etc/hosts, DNS)
and its whole configuration. Only the selected nodes' hosts are evaluated (in worker
processes, as build does), each once; nothing is instantiated.`,
		Example: `  nixmesh eval                      every enabled node, as a readable tree
  nixmesh eval web @db --json       node web and nodes tagged db, as JSON
  nixmesh eval -f lab.nix -- --arg production true`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			return runEval(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print {NODE: {connection, configuration}} as JSON")
	opts.workers.evalFlags(cmd)
	return cmd
}

func runEval(ctx context.Context, opts evalOptions, out io.Writer) error {
	network, names, err := opts.global.planSelected(ctx, opts.NixArgs, opts.Selectors, opts.workers)
	if err != nil {
		return err
	}
	if opts.JSON {
		type entry struct {
			Connection    any             `json:"connection"`
			Configuration json.RawMessage `json:"configuration"`
		}
		result := make(map[string]entry, len(names))
		for _, name := range names {
			n := network.Nodes[name]
			result[name] = entry{Connection: n.Connection(), Configuration: n.Configuration.Raw}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(result)
	}
	for i, name := range names {
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := network.Nodes[name].WriteTree(out); err != nil {
			return err
		}
	}
	return nil
}
