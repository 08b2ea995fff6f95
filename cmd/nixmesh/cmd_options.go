package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/eval"
)

type optionsOptions struct {
	global  *globalOptions
	Filter  []string
	Modules string
	JSON    bool
}

func newOptionsCommand(g *globalOptions) *cobra.Command {
	opts := optionsOptions{global: g}
	cmd := &cobra.Command{
		Use:   "options [SUBSTRING...]",
		Short: "List the options a deployment can set",
		Long: `List the framework's options with type, default, description and where each is
declared. Reads them from the deployment (-f, default ./deploy.nix) when it exists, so
options declared by your own modules show too; otherwise from the framework alone
(--modules DIR, else $NIXMESH_MODULES, else nix-modules next to nixmesh or in a parent
of the working directory). SUBSTRINGs keep only options whose name contains one.`,
		Example: `  nixmesh options                   every option
  nixmesh options vpn dns.zones     options about the VPN and DNS zones
  nixmesh options --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Filter = args
			g.FileExplicit = cmd.Flags().Changed("file")
			return runOptions(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the options listing as JSON")
	cmd.Flags().StringVar(&opts.Modules, "modules", "", "read the options of the framework in `DIR` (a nix-modules directory)")
	return cmd
}

func runOptions(ctx context.Context, opts optionsOptions, out io.Writer) error {
	g := opts.global
	var (
		list []eval.Option
		err  error
	)
	_, statErr := os.Stat(g.File)
	switch {
	case opts.Modules == "" && (statErr == nil || g.FileExplicit || g.Flake != ""):
		ev, err := g.evaluator(nil)
		if err != nil {
			return err
		}
		if list, err = ev.Options(ctx); err != nil {
			return err
		}
	default:
		dir := opts.Modules
		if dir == "" {
			if dir, err = eval.FindModules(); err != nil {
				return usageErrorf("%v (or run nixmesh options next to a deploy.nix, or give --modules DIR)", err)
			}
		}
		ev := &eval.Evaluator{ShowTrace: g.ShowTrace, Stderr: g.Stderr, Env: g.Env}
		if list, err = ev.FrameworkOptions(ctx, dir); err != nil {
			return err
		}
	}
	list = filterOptions(list, opts.Filter)
	if len(opts.Filter) > 0 && len(list) == 0 {
		return usageErrorf("no option name contains %s", strings.Join(opts.Filter, " or "))
	}
	if opts.JSON {
		if list == nil {
			list = []eval.Option{}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(list)
	}
	for i, o := range list {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintln(out, o.Name)
		fmt.Fprintf(out, "    type:        %s\n", o.Type)
		if d := eval.Literal(o.Default); d != "" {
			fmt.Fprintf(out, "    default:     %s\n", strings.ReplaceAll(d, "\n", "\n                 "))
		}
		if e := eval.Literal(o.Example); e != "" {
			fmt.Fprintf(out, "    example:     %s\n", strings.ReplaceAll(e, "\n", "\n                 "))
		}
		if o.ReadOnly {
			fmt.Fprintln(out, "    read-only")
		}
		declared := o.DeclarationLocations
		if len(declared) == 0 {
			declared = o.Declarations
		}
		for _, d := range declared {
			fmt.Fprintf(out, "    declared in: %s\n", d)
		}
		if desc := strings.TrimSpace(o.Description); desc != "" {
			fmt.Fprintf(out, "    %s\n", strings.ReplaceAll(desc, "\n", "\n    "))
		}
	}
	return nil
}

func filterOptions(list []eval.Option, filter []string) []eval.Option {
	if len(filter) == 0 {
		return list
	}
	var out []eval.Option
	for _, o := range list {
		for _, f := range filter {
			if strings.Contains(o.Name, f) {
				out = append(out, o)
				break
			}
		}
	}
	return out
}
