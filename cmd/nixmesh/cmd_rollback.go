package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/eval"
)

type rollbackOptions struct {
	global            *globalOptions
	Selectors         []string
	NixArgs           []string
	To                int
	List              bool
	Action            string
	Parallel          int
	DryRun            bool
	Atomic            bool
	JSON              bool
	AcceptNewHostKeys bool
	Identities        []string
	KnownHosts        []string
	Plan              string // --plan: the connection settings of a frozen plan; nothing is evaluated
}

func newRollbackCommand(g *globalOptions) *cobra.Command {
	opts := rollbackOptions{global: g}
	cmd := &cobra.Command{
		Use:   "rollback NODE|@TAG|GLOB... [-- NIX-ARGS...]",
		Short: "Switch hosts back to an earlier generation of their system, or list their generations",
		Long: `Switch the selected hosts back to the generation of their system profile before the
current one (--to N: generation N), for when a deploy passed its checks and still
turned out wrong. Nothing is built or copied: every generation is on its host already.
Only the nodes' connection settings are evaluated.

Each host switches as in a deploy, through the switcher of the system it runs: the
older system is activated, then confirmed over a new SSH connection; without the
confirmation in successTimeout, or if activation fails, the host goes back to the
system it ran before by itself. Once confirmed, the older generation becomes the
profile's current one again (no new generation is added: the newer ones stay, and
'rollback --to' reaches them), so a second rollback goes one further back. The node's
health checks do not run (they are the current deployment's, not the older system's).
Secrets are left as they are.

With --atomic no host is confirmed until every selected host runs its older
generation; if one fails (it has no such generation, or the older system does not
activate), every host goes back to what it ran.

Nodes must be named (use '*' for all of them): a rollback is never the default.
--list shows each host's generations instead (no selection: every enabled node),
marking the current one (the boot default) and the one running.

Exit codes: 0 all hosts ok or unchanged, 2 usage error, 3 evaluation error, 5 a host
failed (it has no older generation, say), 6 a host rolled back (the older system did
not confirm, and the host runs what it ran before), 130 interrupted.`,
		Example: `  nixmesh rollback --list                every host's generations
  nixmesh rollback web                   web back to its generation before the current one
  nixmesh rollback web --to 12           web to its generation 12 (older or newer)
  nixmesh rollback @app --dry-run        what would run, changing nothing
  nixmesh rollback @vpn --atomic         all of the vpn hosts go back, or none does
  nixmesh rollback web --action boot     boot the older generation next time; run on as now`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			if opts.List {
				for _, f := range []string{"to", "action", "atomic", "dry-run"} {
					if cmd.Flags().Changed(f) {
						return usageErrorf("--list only lists the generations; --%s goes with a rollback", f)
					}
				}
				return runGenerations(cmd.Context(), opts, cmd.OutOrStdout())
			}
			return runRollback(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.To, "to", 0, "switch to generation `N` of each host's system profile (default: the one before the current one)")
	f.BoolVar(&opts.List, "list", false, "list each host's generations (number, date, system; the current and the running one marked) instead")
	f.StringVar(&opts.Action, "action", "switch", "`ACTION`: switch (activate it and make it the boot default) or boot (the boot default only)")
	f.IntVar(&opts.Parallel, "parallel", 10, "work on at most `N` hosts at once")
	f.BoolVar(&opts.Atomic, "atomic", false, "fleet-atomic: confirm no host until every selected host runs its older generation; if one fails (it has none, say), every host goes back to what it ran")
	f.BoolVar(&opts.DryRun, "dry-run", false, "connect and find each host's generation, then show the commands that would run; change nothing")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON event per line on stdout (the table goes to stderr); with --list, the generations as JSON")
	f.BoolVar(&opts.AcceptNewHostKeys, "accept-new-host-keys", false, "trust the key of a host never seen before and add it to ~/.ssh/known_hosts (a changed key is never accepted)")
	sshFileFlags(f, &opts.Identities, &opts.KnownHosts)
	f.StringVar(&opts.Plan, "plan", "", "reach the hosts as the plan `FILE` frozen by `nix-build deploy.nix` says (the one ./result deploys): nothing is evaluated")
	return cmd
}

// reach reads the nodes' connection settings (from the frozen plan with --plan), selects
// the nodes and makes the SSH options that reach them.
func (opts rollbackOptions) reach(ctx context.Context) (*eval.Network, []string, deploy.SSHOptions, error) {
	var network *eval.Network
	var names []string
	var err error
	switch {
	case opts.Plan == "":
		network, names, err = opts.global.connectionsAndSelect(ctx, opts.NixArgs, opts.Selectors)
	case len(opts.NixArgs) > 0:
		err = usageErrorf("--plan: the plan is already evaluated; Nix arguments (%s) have no effect", strings.Join(opts.NixArgs, " "))
	default:
		var frozen *eval.FrozenPlan
		if frozen, err = eval.ReadFrozenPlan(opts.Plan); err != nil {
			err = usageErrorf("--plan: %v", err)
			break
		}
		network = frozen.Network
		names, err = frozen.Select(opts.Selectors)
	}
	if err != nil {
		return nil, nil, deploy.SSHOptions{}, err
	}
	sshOpts, err := sshOptionsFor(network, opts.Identities, opts.KnownHosts)
	sshOpts.AcceptNewHostKeys = opts.AcceptNewHostKeys
	return network, names, sshOpts, err
}

func runRollback(ctx context.Context, opts rollbackOptions, out io.Writer) error {
	action, err := deploy.ParseAction(opts.Action)
	if err != nil || action == deploy.ActionTest {
		return usageErrorf("--action: want switch or boot, not %q (a rollback makes the older generation the profile's current one; to try a system without that, deploy it with --action test)", opts.Action)
	}
	if opts.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	if opts.To < 0 {
		return usageErrorf("--to must be a generation number (see nixmesh rollback --list)")
	}
	if len(opts.Selectors) == 0 {
		return usageErrorf("name the nodes to roll back (or '*' for all of them): nixmesh rollback NODE|@TAG|GLOB...; nixmesh rollback --list shows the generations")
	}
	network, names, sshOpts, err := opts.reach(ctx)
	if err != nil {
		return err
	}
	targets := make([]deploy.Target, len(names))
	for i, name := range names {
		targets[i] = deploy.NewTarget(network.Nodes[name], "")
		targets[i].HealthChecks = nil // the current deployment's, not the older system's
		targets[i].Rollback = &deploy.RollbackTo{Generation: opts.To}
	}
	dopts := deploy.Options{Action: action, Parallel: opts.Parallel, DryRun: opts.DryRun, Atomic: opts.Atomic, NixEnv: opts.global.Env, SSH: sshOpts}
	report, runErr, _, err := opts.global.runOnHosts(ctx, dopts, targets, names, opts.JSON, out)
	if err != nil {
		return err
	}
	return hostsError(report, runErr, rollbackSummary)
}

func rollbackSummary(r deploy.Report, err error) error {
	failed := r.Count(deploy.ResultFailed) + r.Count(deploy.ResultCancelled)
	back := r.Count(deploy.ResultRolledBack)
	msg := fmt.Sprintf("rollback failed on %d of %d hosts", failed, len(r.Hosts))
	if back > 0 {
		msg = fmt.Sprintf("%d of %d hosts did not confirm the older system and run what they ran before", back, len(r.Hosts))
		if failed > 0 {
			msg = fmt.Sprintf("rollback failed on %d and did not confirm on %d of %d hosts", failed, back, len(r.Hosts))
		}
	}
	return &deploySummary{msg, err}
}

// runGenerations is `rollback --list`: each selected host's generations, read in parallel.
func runGenerations(ctx context.Context, opts rollbackOptions, out io.Writer) error {
	network, names, sshOpts, err := opts.reach(ctx)
	if err != nil {
		return err
	}
	type hostGens struct {
		Host string `json:"host"`
		deploy.HostGenerations
		Error string `json:"error,omitempty"`
	}
	results := make([]hostGens, len(names))
	sem := make(chan struct{}, max(opts.Parallel, 1))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i].Host = name
			s, err := deploy.Open(ctx, sshOpts, deploy.NewTarget(network.Nodes[name], ""))
			if err == nil {
				results[i].HostGenerations, err = s.Generations(ctx)
				s.Close()
			}
			if err != nil {
				results[i].Error = err.Error()
			}
		}()
	}
	wg.Wait()
	var failed []string
	for _, r := range results {
		if r.Error != "" {
			failed = append(failed, r.Host)
		}
	}
	if opts.JSON {
		if err := writeJSON(out, results); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOST\tGENERATION\tCREATED\tSYSTEM\t")
		for _, r := range results {
			if r.Error != "" {
				fmt.Fprintf(tw, "%s\t-\t-\terror: %s\t\n", r.Host, r.Error)
				continue
			}
			if len(r.Generations) == 0 {
				what := "no system profile: nothing deployed with action switch or boot yet"
				if r.Running != "" {
					what = "no system profile; running " + r.Running
				}
				fmt.Fprintf(tw, "%s\t-\t-\t%s\t\n", r.Host, what)
			}
			for _, g := range r.Generations {
				var marks []string
				if g.Current {
					marks = append(marks, "current")
				}
				if g.Running {
					marks = append(marks, "running")
				}
				mark := ""
				if len(marks) > 0 {
					mark = "(" + strings.Join(marks, ", ") + ")"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", r.Host, g.Number, g.Created.Local().Format("2006-01-02 15:04:05"), g.System, mark)
			}
			if r.Running != "" && !anyRunning(r.Generations) {
				fmt.Fprintf(tw, "%s\t-\t-\t%s\t(running, in no generation: activated with --action test, or not confirmed yet)\n", r.Host, r.Running)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return interrupted(ctx.Err())
	}
	if len(failed) > 0 {
		return &execFailedError{unreachable: true, err: errors.New("could not read the generations of " + strings.Join(failed, ", "))}
	}
	return nil
}

func anyRunning(gs []deploy.Generation) bool {
	for _, g := range gs {
		if g.Running {
			return true
		}
	}
	return false
}
