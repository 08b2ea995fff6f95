package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/crossmodules"
)

type graphOptions struct {
	global  *globalOptions
	NixArgs []string
	Format  string // dot, mermaid, svg, png or json; "" = from Output's extension, else dot
	Output  string // "" or "-": stdout
	JSON    bool   // --json: Format json
}

func newGraphCommand(g *globalOptions) *cobra.Command {
	opts := graphOptions{global: g}
	cmd := &cobra.Command{
		Use:   "graph [--format dot|mermaid|svg|png|json] [-o FILE] [-- NIX-ARGS...]",
		Short: "Draw the nodes, SSH access, VPNs and DNS zones",
		Long: `Evaluate the deployment's network level (no host configuration) and draw its
cross-host topology: every node, each SSH grant as an edge "key@host → user@host", each
VPN as a cluster with its star or mesh links, and which nodes serve which DNS zone
(primary, secondaries).

Formats: dot (Graphviz), mermaid (for Markdown), svg and png (need Graphviz's dot on
PATH), json (the graph as data). Without --format, the extension of -o FILE picks the
format (.dot/.gv, .mmd, .svg, .png, .json); another extension is refused rather than
filled with the wrong format.
Without -o, the default is dot on stdout.`,
		Example: `  nixmesh graph -o net.png
  nixmesh graph -o net.svg
  nixmesh graph --format mermaid`,
		Args: func(cmd *cobra.Command, args []string) error {
			if i := cmd.ArgsLenAtDash(); i > 0 || (i < 0 && len(args) > 0) {
				return usageErrorf("graph takes no node selectors, got %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			_, opts.NixArgs = splitArgs(cmd, args)
			return runGraph(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "", "output `FORMAT`: dot, mermaid, svg, png or json")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "the same as --format json: nodes, SSH edges, VPNs with links, zone servers")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	return cmd
}

func graphFormat(opts graphOptions) (string, error) {
	if opts.JSON {
		if opts.Format != "" && opts.Format != "json" {
			return "", usageErrorf("--json and --format %s: give one", opts.Format)
		}
		opts.Format = "json"
	}
	byExt := map[string]string{".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid", ".svg": "svg", ".png": "png", ".json": "json"}
	ext := strings.ToLower(filepath.Ext(opts.Output))
	switch opts.Format {
	case "dot", "mermaid", "svg", "png", "json":
		if want, ok := byExt[ext]; ok && want != opts.Format {
			return "", usageErrorf("--format %s does not go into %s (a %s file); drop --format or change the name", opts.Format, opts.Output, want)
		}
		return opts.Format, nil
	case "":
	default:
		return "", usageErrorf("--format %q: use dot, mermaid, svg, png or json", opts.Format)
	}
	if opts.Output == "" || opts.Output == "-" {
		return "dot", nil
	}
	if f, ok := byExt[ext]; ok {
		return f, nil
	}
	return "", usageErrorf("-o %s: the extension does not say the format (.dot, .gv, .mmd, .svg, .png); rename the file or give --format", opts.Output)
}

func runGraph(ctx context.Context, opts graphOptions, out io.Writer) error {
	format, err := graphFormat(opts)
	if err != nil {
		return err
	}
	ev, err := opts.global.evaluator(opts.NixArgs)
	if err != nil {
		return err
	}
	network, err := ev.ConnectionPlan(ctx)
	if err != nil {
		return err
	}
	model, err := crossmodules.Decode(network)
	if err != nil {
		return err
	}
	g := model.Graph()
	var data []byte
	switch format {
	case "dot":
		data = []byte(g.DOT())
	case "mermaid":
		data = []byte(g.Mermaid())
	case "svg", "png":
		if data, err = crossmodules.Render(ctx, g.DOT(), format); err != nil {
			return err
		}
	case "json":
		if data, err = json.MarshalIndent(g, "", "  "); err != nil {
			return err
		}
		data = append(data, '\n')
	}
	if opts.Output == "" || opts.Output == "-" {
		_, err = out.Write(data)
		return err
	}
	return os.WriteFile(opts.Output, data, 0o644)
}
