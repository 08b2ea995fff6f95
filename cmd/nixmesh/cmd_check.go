package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/eval"
)

type checkOptions struct {
	global           *globalOptions
	NixArgs          []string
	UpdateDNSSerials bool
	JSON             bool
	workers          workerOptions
}

// checkReport is `check --json`: what was checked, or every problem with its option path
// and location (the exit code is 3 then, as without --json).
type checkReport struct {
	OK         bool           `json:"ok"`
	Nodes      int            `json:"nodes"`
	SSHGrants  int            `json:"sshGrants"`
	VPNs       int            `json:"vpnNetworks"`
	DNSZones   int            `json:"dnsZones"`
	DNSRecords int            `json:"dnsRecords"`
	Problems   []checkProblem `json:"problems"`
	// The warnings shown (the deployment's own, then the engine's), each once.
	Warnings []string `json:"warnings"`
}

type checkProblem struct {
	Message string `json:"message"`
	Option  string `json:"option,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

func newCheckCommand(g *globalOptions) *cobra.Command {
	opts := checkOptions{global: g}
	cmd := &cobra.Command{
		Use:   "check [-- NIX-ARGS...]",
		Short: "Check the whole deployment: every host, its system, the cross-host features",
		Long: `Evaluate the whole deployment and check it: every host's configuration and its
system (instantiated, not built, so what only the system's evaluation finds is found
here too), and the cross-host features (SSH access, VPNs, DNS) with the Nix modules'
checks, among them whether every host's final configuration still carries what the
features put there (a host module may override it). Every host
is evaluated once, in worker processes that each take a batch of hosts, so a large
fleet is checked in bounded memory (--eval-workers, --eval-batch, --eval-memory), and
every host that fails is reported, not only the first. Each problem
is printed with its option path and file; the exit code is 3 if there is any. The same
checks stop 'nixmesh deploy' and './result' before any host is touched.

Warnings (what may be meant, or what nixmesh cannot be sure of: an option a standalone
host does not apply, a NixOS configuration that would shut the deployer out, a secret
every user can read, ...) are printed with their file and do not fail the check;
--strict makes them problems too (exit 3), for a CI that wants none.

With --update-dns-serials, a deployment without problems records its DNS zones' content
hashes and serials in dns.serialsFile, so that the next change of a zone gets a higher
SOA serial: run it after each deployment.`,
		Example: `  nixmesh check
  nixmesh check --strict --json       problems and warnings as JSON; warnings fail too
  nixmesh check -f examples/lab/deploy.nix --update-dns-serials`,
		Args: func(cmd *cobra.Command, args []string) error {
			if i := cmd.ArgsLenAtDash(); i > 0 || (i < 0 && len(args) > 0) {
				return usageErrorf("check takes no node selectors (it checks the whole deployment), got %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			_, opts.NixArgs = splitArgs(cmd, args)
			return runCheck(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&opts.UpdateDNSSerials, "update-dns-serials", false, "record the zones' hashes and serials in dns.serialsFile")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON: counts and warnings, or the problems with option, file, line")
	opts.workers.evalFlags(cmd)
	return cmd
}

func runCheck(ctx context.Context, opts checkOptions, out io.Writer) error {
	ev, err := opts.global.evaluator(opts.NixArgs)
	if err != nil {
		return err
	}
	network, err := checkAll(ctx, opts.global, ev, opts.workers)
	if err == nil {
		err = opts.global.nodeWarnings(network, network.Names(), ev.Warnings())
	}
	warnings := append(ev.Warnings(), opts.global.warned...)
	if warnings == nil {
		warnings = []string{}
	}
	var evalErr *eval.EvalError
	if opts.JSON && errors.As(err, &evalErr) {
		rep := checkReport{Problems: []checkProblem{}, Warnings: warnings}
		for _, d := range evalErr.Diagnostics {
			rep.Problems = append(rep.Problems, checkProblem{Message: d.Message, Option: d.OptionPath, File: d.File, Line: d.Line, Column: d.Col})
		}
		if err := writeJSON(out, rep); err != nil {
			return err
		}
		return &exitStatusError{code: exitEval}
	}
	if err != nil {
		return err
	}
	model, err := crossmodules.Decode(network)
	if err != nil {
		return err
	}
	if opts.JSON && !opts.UpdateDNSSerials {
		return writeJSON(out, checkReport{OK: true, Nodes: len(network.Nodes), SSHGrants: len(model.SSH.Grants()),
			VPNs: len(model.VPN.Networks), DNSZones: len(model.DNS.Zones), DNSRecords: len(model.DNS.Records), Problems: []checkProblem{}, Warnings: warnings})
	}
	fmt.Fprintf(out, "ok: %s, %s, %s, %s with %s\n",
		count(len(network.Nodes), "node"), count(len(model.SSH.Grants()), "SSH grant"), count(len(model.VPN.Networks), "VPN network"),
		count(len(model.DNS.Zones), "DNS zone"), count(len(model.DNS.Records), "record"))
	if opts.UpdateDNSSerials {
		if model.DNS.SerialsFile == "" {
			return usageErrorf("--update-dns-serials: the deployment sets no dns.serialsFile")
		}
		changed, err := model.UpdateDNSSerials()
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			fmt.Fprintf(out, "dns serials: %s is up to date\n", model.DNS.SerialsFile)
		} else {
			fmt.Fprintf(out, "dns serials: recorded %s in %s\n", strings.Join(changed, ", "), model.DNS.SerialsFile)
		}
	}
	return nil
}

// count is "1 thing" or "N things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// checkAll evaluates and checks every node in worker processes (each the network level
// and its share of the hosts; together everything, each host once, no process holding
// all of them), instantiates their systems, and returns the whole plan; failing, the problems of every failing host
// (or the network level's, which fails them all).
func checkAll(ctx context.Context, g *globalOptions, ev *eval.Evaluator, w workerOptions) (*eval.Network, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	index, err := ev.Index(ctx)
	if err != nil {
		return nil, err
	}
	limits, err := w.limits(index, index.Names())
	if err != nil {
		return nil, err
	}
	// Every failing host, not only the first.
	limits.KeepGoing = true
	// The systems are instantiated too (nothing is built): what only the system's
	// evaluation finds (a standalone /etc file's mode, a NixOS build-time check) is
	// found here, as `nix flake check' finds it.
	network, _, stats, err := ev.EvalNodes(ctx, index.Names(), limits)
	if err != nil {
		return nil, err
	}
	g.workerReport(len(index.Nodes), stats)
	return network, nil
}
