package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/natural"
	"github.com/nixmesh/nixmesh/internal/progress"
)

type deployOptions struct {
	global            *globalOptions
	Selectors         []string
	NixArgs           []string
	Action            string
	Parallel          int
	DryRun            bool
	KeepGoing         bool
	JSON              bool
	AcceptNewHostKeys bool
	Identities        []string
	KnownHosts        []string
	Plan              string // --plan: a plan frozen at build time (front door 1); nothing is evaluated
	Trace             string // --trace: append every remote command to this file
	Atomic            bool   // --atomic: confirm all hosts or none
	InstallBootloader bool   // --install-bootloader
	DryActivate       bool   // --dry-activate
	workers           workerOptions
}

func newDeployCommand(g *globalOptions) *cobra.Command {
	opts := deployOptions{global: g}
	cmd := &cobra.Command{
		Use:   "deploy [NODE|@TAG|GLOB...] [-- NIX-ARGS...]",
		Short: "Build the selected nodes' systems and deploy them over SSH",
		Long: `Evaluate the selected nodes (each once, in worker processes), build their systems in
parallel, then deploy them, --parallel hosts at a time. Each host goes through:

  connect   SSH, with ~/.ssh/config, ssh-agent and identity files; the host key must be
            in known_hosts or declared in the plan (an unknown or changed key stops the host
            before anything is sent)
  check     a host already on its new system copies and activates nothing (it still
            gets its secrets, below)
  fetch-secrets
            every secret of the host is fetched here (its command run, its file read);
            a failing source fails the host before anything on it changes
  copy      only the store paths the host lacks, streamed over the same connection
  secrets   the pre-activation secrets, streamed over SSH into place
  activate  the host's switcher (bin/nixmesh-switch) activates the new system
  confirm   the node's health checks run (commands on the host, TCP/HTTP from here, and
            the checks of its VPNs, zones and SSH grants); all passing, a new SSH
            connection confirms the system. A failing check rolls the host back at once;
            without a confirmation in successTimeout (plus what the checks may take), or
            if activation fails, the host rolls back to its previous system by itself
  post-activation
            the post-activation secrets, then the restartOnChange of the secrets that
            changed

After the deploy, the zones whose primary node is ok or unchanged are recorded in
dns.serialsFile (as 'nixmesh check --update-dns-serials' does); not on --dry-run.

A failing host does not stop the others (unless --keep-going=false). With --atomic no
host is confirmed until every selected host has activated and passed its checks; if one
fails, every host rolls back and the hosts not yet started are not started (a host that
waits keeps its confirmation window open by a lease the deployer renews: if the
deployer dies, the hosts roll back within their successTimeout). Ctrl-C cancels the
hosts not yet started; a host already switching finishes or rolls back on its own, and
nixmesh prints how to check it. The result table lists each host as ok, unchanged,
rolled-back, failed, skipped (its system did not build) or cancelled.

Exit codes: 0 all hosts ok or unchanged, 2 usage error, 3 evaluation error, 4 a system
did not build, 5 a host failed, 6 a host rolled back (none failed), 130 interrupted.`,
		Example: `  nixmesh deploy                          every enabled node
  nixmesh deploy web @db --parallel 4     node web and every node tagged db
  nixmesh deploy --dry-run                show what would be copied and run, change nothing
  nixmesh deploy web --dry-activate       copy, and ask web's new system what it would do
  nixmesh deploy 'web-*' --action test    activate without making it the boot default
  nixmesh deploy --json | jq .            one JSON event per line
  nixmesh deploy --trace cmds.jsonl       record every command run on the hosts
  nixmesh deploy --atomic @vpn            all of the vpn hosts switch, or none does
  nixmesh deploy -i ~/.ssh/deploy_ed25519 --accept-new-host-keys
  nixmesh deploy --builders 'ssh://root@build1 x86_64-linux' --max-jobs 0   build on build1`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			return runDeploy(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Action, "action", "switch", "`ACTION`: switch (activate and make it the boot default), test (activate only) or boot (boot default only)")
	f.IntVar(&opts.Parallel, "parallel", 10, "deploy at most `N` hosts at once")
	f.BoolVar(&opts.DryRun, "dry-run", false, "build and connect, then show per host what would be copied and uploaded and the exact commands that would run; change nothing (secret sources are not run)")
	f.BoolVar(&opts.KeepGoing, "keep-going", true, "go on with the other hosts when one fails (false: do not start more hosts after a failure)")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON event per line on stdout (the table goes to stderr)")
	f.BoolVar(&opts.AcceptNewHostKeys, "accept-new-host-keys", false, "trust the key of a host never seen before and add it to ~/.ssh/known_hosts (a changed key is never accepted)")
	sshFileFlags(f, &opts.Identities, &opts.KnownHosts)
	f.BoolVar(&opts.DryActivate, "dry-activate", false, "copy the closures and run each new system's switch-to-configuration dry-activate on its host (what the activation would do); no secret is fetched, nothing is switched")
	f.BoolVar(&opts.InstallBootloader, "install-bootloader", false, "(re)install the bootloader when the system becomes the boot default (NixOS: NIXOS_INSTALL_BOOTLOADER=1 for switch-to-configuration boot; actions switch and boot)")
	f.BoolVar(&opts.Atomic, "atomic", false, "fleet-atomic: confirm no host until every selected host is activated and healthy; if one fails, every host rolls back")
	f.StringVar(&opts.Trace, "trace", "", "append one JSON line per command run on a host (node, argv, exit code, seconds) to `FILE`; secrets never appear in it")
	f.StringVar(&opts.Plan, "plan", "", "deploy the plan `FILE` frozen by `nix-build deploy.nix` (what ./result runs): its systems are built, nothing is evaluated")
	opts.workers.flags(cmd)
	return cmd
}

func runDeploy(ctx context.Context, opts deployOptions, out io.Writer) error {
	action, err := deploy.ParseAction(opts.Action)
	if err != nil {
		return usageErrorf("--action: %v", err)
	}
	if opts.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	if opts.DryRun && opts.DryActivate {
		return usageErrorf("--dry-run and --dry-activate: choose one (--dry-run copies nothing and runs nothing; --dry-activate copies the closures and runs each system's dry-activate)")
	}
	if opts.InstallBootloader && action == deploy.ActionTest {
		return usageErrorf("--install-bootloader: --action test activates without touching the boot default; use --action switch or boot")
	}
	// The trace file is opened before anything is evaluated: a path that cannot be
	// written is known before the build, not after it.
	var traceFile *os.File
	if opts.Trace != "" {
		f, err := os.OpenFile(opts.Trace, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return usageErrorf("--trace: %v", err)
		}
		defer f.Close()
		traceFile = f
	}
	stderr := opts.global.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	var (
		network  *eval.Network
		names    []string
		paths    map[string]string
		onTarget map[string]string // node -> derivation, for the nodes their hosts build
		buildErr error
		warnings []string // the evaluation's warnings, recalled under the table
	)
	if opts.Plan != "" {
		if len(opts.NixArgs) > 0 {
			return usageErrorf("--plan: the plan is already evaluated; Nix arguments (%s) have no effect", strings.Join(opts.NixArgs, " "))
		}
		frozen, err := eval.ReadFrozenPlan(opts.Plan)
		if err != nil {
			return usageErrorf("--plan: %v", err)
		}
		network = frozen.Network
		if names, err = frozen.Select(opts.Selectors); err != nil {
			return err
		}
		// (The plan was evaluated when it was frozen; its warnings were shown then.)
		if err := opts.global.nodeWarnings(network, names, nil); err != nil {
			return err
		}
		paths = frozen.Systems
	} else {
		ev, n, selected, drvs, err := opts.global.evalSelected(ctx, opts.NixArgs, opts.Selectors, opts.workers)
		if err != nil {
			return err
		}
		network, names = n, selected
		warnings = ev.Warnings()
		// buildOnTarget nodes are built by their hosts: only their output paths here.
		local, remote := map[string]string{}, map[string]string{}
		for name, drv := range drvs {
			if network.Nodes[name].BuildOnTarget {
				remote[name] = drv
			} else {
				local[name] = drv
			}
		}
		if len(local) > 0 {
			display := progress.Auto(stderr, names, opts.global.Verbose)
			paths, buildErr = ev.Build(ctx, local, 0, display)
			display.Close()
			if buildErr != nil && (!opts.KeepGoing || len(paths) == 0 && len(remote) == 0 || ctx.Err() != nil) {
				return buildErr
			}
		}
		if paths == nil {
			paths = map[string]string{}
		}
		outs, err := ev.Outputs(ctx, remote)
		if err != nil {
			return errors.Join(buildErr, err)
		}
		for name, out := range outs {
			paths[name] = out
		}
		onTarget = remote
	}
	model, err := crossmodules.Decode(network)
	if err != nil {
		return err
	}

	targets, err := deploy.Targets(network, names, paths)
	if err != nil {
		return errors.Join(buildErr, err)
	}
	for i := range targets {
		targets[i].Derivation = onTarget[targets[i].Name]
	}

	dopts := deploy.Options{
		Action:            action,
		Parallel:          opts.Parallel,
		DryRun:            opts.DryRun,
		FailFast:          !opts.KeepGoing,
		Atomic:            opts.Atomic,
		InstallBootloader: opts.InstallBootloader,
		DryActivate:       opts.DryActivate,
		NixEnv:            opts.global.Env,
		SSH: deploy.SSHOptions{
			IdentityFiles:        opts.Identities,
			ExtraKnownHostsFiles: opts.KnownHosts,
			DeclaredHostKeys:     model.SSH.DeclaredHostKeys(),
			AcceptNewHostKeys:    opts.AcceptNewHostKeys,
		},
	}
	if traceFile != nil {
		dopts.SSH.Trace = deploy.NewCommandTrace(traceFile)
	}
	report, deployErr, tableOut, err := opts.global.runOnHosts(ctx, dopts, targets, names, opts.JSON, out)
	if err != nil {
		return err
	}
	if err := recordDNSSerials(model, report, tableOut); err != nil {
		deployErr = errors.Join(deployErr, err)
	}
	recallWarnings(tableOut, append(warnings, opts.global.warned...))
	return errors.Join(buildErr, hostsError(report, deployErr, summarize))
}

// recallWarnings lists, under the result table, the warnings the evaluation printed
// before the deploy (a long deploy scrolls them away; one may explain a rollback), a
// line each, cut short.
func recallWarnings(out io.Writer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintf(out, "\n%s before the deploy (in full above, or from `nixmesh check`):\n", count(len(warnings), "warning"))
	for _, w := range warnings {
		if r := []rune(w); len(r) > 160 {
			w = string(r[:159]) + "…"
		}
		fmt.Fprintf(out, "  %s\n", w)
	}
}

// runOnHosts runs the deploy engine over the targets with the progress the output
// calls for (--json: one event per line on out; a live display on a terminal; text lines
// otherwise), then prints the result table (on stderr with --json). It returns the
// report, the engine's error, where the table went, and an error of its own.
func (g *globalOptions) runOnHosts(ctx context.Context, dopts deploy.Options, targets []deploy.Target, names []string, jsonOut bool, out io.Writer) (deploy.Report, error, io.Writer, error) {
	stderr := g.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	tableOut := out
	var live *progress.Display
	switch {
	case jsonOut:
		dopts.Events = deploy.JSONEvents(out)
		tableOut = stderr
	case progress.IsTerminal(stderr):
		live = progress.Auto(stderr, names, g.Verbose)
		dopts.Events = deploy.ProgressEvents(live)
	default:
		dopts.Events = deploy.TextEvents(stderr)
	}
	report, runErr := deploy.Run(ctx, dopts, targets)
	if live != nil {
		live.Close()
	}
	fmt.Fprintln(tableOut)
	return report, runErr, tableOut, report.WriteTable(tableOut)
}

// hostsError is the command's error for a report: its exit code's kind, with the one-line
// summary (summary) in front of the hosts' errors.
func hostsError(report deploy.Report, err error, summary func(deploy.Report, error) error) error {
	switch report.ExitCode() {
	case exitDeploy:
		return &deployFailedError{err: summary(report, err)}
	case exitRolledBack:
		return &rolledBackError{err: summary(report, err)}
	case exitInterrupted:
		return interrupted(err)
	}
	return err
}

// deploySummary is a one-line message in front of the per-host errors (already shown in
// the table), which stay reachable with errors.Is/As.
type deploySummary struct {
	msg string
	err error
}

func (e *deploySummary) Error() string { return e.msg }
func (e *deploySummary) Unwrap() error { return e.err }

func summarize(r deploy.Report, err error) error {
	n := len(r.Hosts)
	failed := r.Count(deploy.ResultFailed) + r.Count(deploy.ResultCancelled)
	rolled := r.Count(deploy.ResultRolledBack)
	switch {
	case failed > 0 && rolled > 0:
		return &deploySummary{fmt.Sprintf("deploy failed on %d and rolled back on %d of %d hosts", failed, rolled, n), err}
	case failed > 0:
		return &deploySummary{fmt.Sprintf("deploy failed on %d of %d hosts", failed, n), err}
	}
	return &deploySummary{fmt.Sprintf("%d of %d hosts rolled back", rolled, n), err}
}

// recordDNSSerials records in dns.serialsFile the zones whose primary node was deployed
// (ok or unchanged: it serves the zone as evaluated), as `nixmesh check
// --update-dns-serials` does, so that the next change of a zone gets a higher serial.
// Other zones keep their entries. Nothing happens on a dry run or without a serialsFile.
func recordDNSSerials(model *crossmodules.Model, report deploy.Report, out io.Writer) error {
	if model.DNS.SerialsFile == "" || report.DryRun {
		return nil
	}
	inDeploy := map[string]bool{}
	for _, h := range report.Hosts {
		inDeploy[h.Host] = true
	}
	deployed := *model
	deployed.DNS.Zones = map[string]crossmodules.DNSZone{}
	var pending []string // zones whose primary this deploy did not get to its new system
	for key, z := range model.DNS.Zones {
		if report.Deployed(z.PrimaryNode) {
			deployed.DNS.Zones[key] = z
		} else if inDeploy[z.PrimaryNode] {
			pending = append(pending, z.Name)
		}
	}
	if len(deployed.DNS.Zones) == 0 {
		return nil
	}
	changed, err := deployed.UpdateDNSSerials()
	if err != nil {
		return fmt.Errorf("recording the DNS serials in %s: %w", model.DNS.SerialsFile, err)
	}
	if len(changed) > 0 {
		fmt.Fprintf(out, "\ndns serials: recorded %s in %s\n", strings.Join(changed, ", "), model.DNS.SerialsFile)
	}
	if len(pending) > 0 {
		natural.Sort(pending)
		fmt.Fprintf(out, "dns serials: not recorded for %s (primary not deployed)\n", strings.Join(pending, ", "))
	}
	return nil
}
