package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/secrets"
)

type secretsOptions struct {
	global    *globalOptions
	Selectors []string
	NixArgs   []string
	Check     bool
	// Remote, when set, replaces the ssh connection to a node (tests).
	Remote func(node string) (secrets.Remote, error)
}

func newSecretsCommand(g *globalOptions) *cobra.Command {
	opts := secretsOptions{global: g}
	cmd := &cobra.Command{
		Use:   "secrets [NODE|@TAG|GLOB...] [--check] [-- NIX-ARGS...]",
		Short: "List the declared secrets; with --check, compare them with the hosts",
		Long: `List the secrets declared with nodes.<node>.secrets.<name>: node, name, source (the
command line or the file, never what it produces), path on the host, owner:group and
mode, and when it is uploaded.

With --check, every listed secret is fetched (its command run, its file read) and
compared with the file on its host over SSH, without printing or storing the contents:
the bytes are streamed to 'cmp -s - PATH' on the host. Each secret is reported as
up-to-date, outdated (other contents), wrong-mode (other owner, group or mode) or
missing. The command fails if any secret is not up to date or a host cannot be checked.`,
		Example: `  nixmesh secrets
  nixmesh secrets web @db --check`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			return runSecrets(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.Check, "check", false, "connect to the hosts and report whether each secret is present and up to date")
	return cmd
}

func runSecrets(ctx context.Context, opts secretsOptions, out io.Writer) error {
	network, names, err := opts.global.connectionsAndSelect(ctx, opts.NixArgs, opts.Selectors)
	if err != nil {
		return err
	}
	all, err := secrets.FromNetwork(network)
	if err != nil {
		return err
	}
	model, err := crossmodules.Decode(network)
	if err != nil {
		return err
	}
	hosts := &remotes{ssh: deploy.SSHOptions{DeclaredHostKeys: model.SSH.DeclaredHostKeys()}}
	defer hosts.close()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "NODE\tSECRET\tSOURCE\tPATH\tOWNER:GROUP MODE\tUPLOAD"
	if opts.Check {
		header += "\tSTATE"
	}
	fmt.Fprintln(tw, header)
	var problems []error
	count := 0
	for _, name := range names {
		specs := all[name]
		if len(specs) == 0 {
			continue
		}
		count += len(specs)
		state := map[string]string{}
		if opts.Check {
			var remote secrets.Remote
			if opts.Remote != nil {
				remote, err = opts.Remote(name)
			} else {
				remote, err = hosts.node(ctx, network.Nodes[name])
			}
			var reports []secrets.Report
			if err == nil {
				reports, err = secrets.Status(ctx, remote, specs)
			}
			if err != nil {
				if ctx.Err() != nil {
					return err
				}
				problems = append(problems, fmt.Errorf("%s: %w", name, err))
			}
			for _, r := range reports {
				state[r.Spec.Name] = string(r.State)
				switch r.State {
				case secrets.StateUpToDate:
				case secrets.StateWrongMeta:
					state[r.Spec.Name] += " (is " + r.Actual + ")"
					fallthrough
				default:
					problems = append(problems, fmt.Errorf("%s: secret %s (%s) is %s", name, r.Spec.Name, r.Spec.Path, r.State))
				}
			}
		}
		for _, s := range specs {
			mode := strings.TrimLeft(s.Mode, "0")
			row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s:%s 0%s\t%s", name, s.Name, s.Source(), s.Path, s.Owner, s.Group, mode, s.UploadAt)
			if opts.Check {
				st := state[s.Name]
				if st == "" {
					st = "not checked"
				}
				row += "\t" + st
			}
			fmt.Fprintln(tw, row)
		}
	}
	if count == 0 {
		fmt.Fprintln(out, "no secrets declared on the selected nodes")
		return nil
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	return nil
}
