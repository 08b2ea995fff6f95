package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/natural"
)

// commands are nixmesh's subcommands, in the order --help lists them. To add one, write
// cmd_NAME.go with `func newNAMECommand(g *globalOptions) *cobra.Command` (flags into an
// options struct, RunE calling runNAME(ctx, opts, out)) and add it here with one line.
// Map its new error kinds to exit codes in errors.go, nowhere else.
var commands = []func(g *globalOptions) *cobra.Command{
	newEvalCommand,
	newBuildCommand,
	newDeployCommand,
	newRollbackCommand,
	newOptionsCommand,
	newVersionCommand,
	newLabCommand,
	newCheckCommand,
	newGraphCommand,
	newSecretsCommand,
	newKeysCommand,
	newExecCommand,
	newSSHCommand,
	newVerifyCommand,
	newDiffCommand,
}

// globalOptions are the persistent flags every command sees, plus where output goes.
type globalOptions struct {
	File         string // -f: the deployment
	FileExplicit bool   // -f was given (not the default); set by commands that care
	Flake        string // --flake REF[#NAME]: nixmeshConfigurations.NAME of a flake instead of -f
	flakeDir     string // a local flake's folder, once flakeEvaluator ran
	ShowTrace    bool
	Verbose      bool
	Strict       bool        // --strict: warnings are errors
	warned       []string    // the engine's own warnings shown (nodeWarnings), for check --json
	Stderr       io.Writer   // diagnostics, progress and Nix's own output
	Env          []string    // environment of child processes; nil inherits
	Nix          nixArgFlags // --arg/--argstr NAME=VALUE, before the Nix arguments after `--'
}

// evaluator returns an Evaluator for the deployment, after checking that the file
// exists (a missing file is a usage error, not a Nix error).
func (g *globalOptions) evaluator(nixArgs []string) (*eval.Evaluator, error) {
	flagArgs, err := g.Nix.nixArgs()
	if err != nil {
		return nil, err
	}
	nixArgs = append(flagArgs, nixArgs...)
	if g.Flake != "" {
		return g.flakeEvaluator(nixArgs)
	}
	file, err := filepath.Abs(g.File)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(file); err != nil {
		return nil, usageErrorf("no deployment file %s (give one with -f FILE)", g.File)
	} else if st.IsDir() {
		file = filepath.Join(file, "default.nix")
		if _, err := os.Stat(file); err != nil {
			return nil, usageErrorf("%s is a directory without default.nix (give the deployment with -f FILE)", g.File)
		}
	}
	return &eval.Evaluator{File: file, NixArgs: nixArgs, ShowTrace: g.ShowTrace, Stderr: g.Stderr, Env: g.Env}, nil
}

const rootLong = `nixmesh deploys a fleet of hosts declared once in a Nix module (deploy.nix), with
features that span hosts: SSH access between users of different hosts, WireGuard VPNs,
DNS zones and records.

  nixmesh eval              show each host's resolved configuration
  nixmesh check             report every cross-host problem with option path and file
  nixmesh graph -o net.svg  draw nodes, SSH grants, VPN topology and DNS zones
  nixmesh build web @db     build the systems of node web and of every node tagged db
  nixmesh deploy --dry-run  show per host what would be copied and run
  nixmesh deploy            build, copy, activate, confirm; hosts roll back what breaks
  nixmesh rollback web      switch web back to its previous generation (--list: all of them)
  nixmesh secrets --check   which declared secrets are present and up to date
  nixmesh keys wireguard    make missing WireGuard keys on the hosts, collect public keys
  nixmesh exec -- uptime    run a command on every host at once, a table of exit codes
  nixmesh ssh web           log in to a node's host with its settings
  nixmesh verify            prove the declared SSH access, VPNs and DNS on the live fleet
  nixmesh diff              how each host's configuration would change, against what it runs
  nixmesh options           list the options a deploy.nix can set
  sudo nixmesh lab up       local test hosts in namespaces, to try all of this

The same deploy.nix also works without nixmesh: nix-build deploy.nix && ./result

Nodes are selected by name, @tag or glob (web-*), also as comma lists (web,@db); no
selection means every enabled node. Arguments after -- go to nix-instantiate, e.g.
  nixmesh eval -- --arg production true
or, on every command (exec and ssh take -- for the remote command), as flags:
  nixmesh exec --arg production=true -- uptime

Exit codes:
  0    success
  1    internal or unclassified error
  2    usage error (bad flags, unknown node selector, missing deploy.nix)
  3    evaluation error (the deployment does not evaluate or fails its checks)
  4    build error (a node's system does not build)
  5    deploy failed on at least one host
  6    at least one host rolled back (and none failed otherwise)
  130  interrupted`

// newRootCommand builds the command tree around g.
func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:           "nixmesh",
		Short:         "Evaluate, build and deploy a fleet of Nix hosts",
		Long:          rootLong,
		SilenceErrors: true, // errors.go prints them
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs, // unknown commands reach RunE as a usage error
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q", args[0])
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf(" (did you mean %q?)", s[0])
				}
				return &usageError{err: errors.New(msg)}
			}
			return cmd.Help()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SuggestionsMinimumDistance = 2
	pf := root.PersistentFlags()
	pf.StringVarP(&g.File, "file", "f", "./deploy.nix", "the deployment `FILE`")
	pf.StringVar(&g.Flake, "flake", "", "the deployment `REF[#NAME]`: nixmeshConfigurations.NAME (default: default) of a flake, e.g. --flake . or --flake .#staging")
	pf.BoolVar(&g.ShowTrace, "show-trace", false, "on an evaluation error, print Nix's full trace")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "print every line Nix logs")
	pf.BoolVar(&g.Strict, "strict", false, "treat warnings as errors (exit 3): the deployment's own (its modules' and its hosts' `warnings'), options that a node's kind of host does not apply, sshOptions nixmesh's SSH client does not read or whose files this machine lacks; for the commands that evaluate hosts: check, eval, diff, build, deploy")
	g.Nix.add(pf)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		g.FileExplicit = g.FileExplicit || cmd.Flags().Changed("file")
		return checkSSHFileFlags(cmd)
	}
	for _, newCmd := range commands {
		c := newCmd(g)
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
		argsAsUsage(c)
		root.AddCommand(c)
	}
	return root
}

// argsAsUsage makes the argument checks of c and its subcommands (cobra.ExactArgs...)
// usage errors that show the command's usage line.
func argsAsUsage(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			err := check(cmd, args)
			var ue *usageError
			if err == nil || errors.As(err, &ue) {
				return err
			}
			return usageErrorf("%v (usage: %s)", err, cmd.UseLine())
		}
	}
	for _, sub := range c.Commands() {
		argsAsUsage(sub)
	}
}

// scriptEnv names the variable in which the deploy script tells the engine how its user
// called it ("$0", e.g. ./result).
const scriptEnv = "NIXMESH_SCRIPT"

// run executes nixmesh with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globalOptions{Stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var se *eval.SelectError
	switch {
	case errors.As(err, &ue):
		if ue.command == "" && cmd != nil {
			ue.command = cmd.CommandPath()
		}
	case errors.As(err, &se) && cmd != nil:
		// A selector that selects nothing is a mistake in how this command was called:
		// its help is the one to read.
		ue = &usageError{err: err, command: cmd.CommandPath()}
		err = ue
	}
	if ue != nil && cmd != nil && cmd.Name() == "deploy" && cmd.Flags().Changed("plan") {
		// The deploy script runs `nixmesh deploy --plan`: its user typed `./result ...`,
		// whose --help is the one that explains the script's arguments.
		if script := os.Getenv(scriptEnv); script != "" {
			ue.command = script
		}
	}
	if ctx.Err() != nil {
		err = interrupted(err)
	}
	return reportError(stderr, err, g.ShowTrace)
}

// checkSSHFileFlags reads the files of a command's -i/--identity and --known-hosts flags
// before it evaluates anything or reaches a host: a typo is a usage error, not twenty
// hosts failing to connect after the evaluation.
func checkSSHFileFlags(cmd *cobra.Command) error {
	var identities, knownHosts []string
	if f := cmd.Flags().Lookup("identity"); f != nil && f.Changed {
		identities, _ = cmd.Flags().GetStringArray("identity")
	}
	if f := cmd.Flags().Lookup("known-hosts"); f != nil && f.Changed {
		knownHosts, _ = cmd.Flags().GetStringArray("known-hosts")
	}
	if err := deploy.CheckSSHFiles(identities, knownHosts); err != nil {
		return &usageError{err: err, command: cmd.CommandPath()}
	}
	for _, name := range []string{"output", "write-nix"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			if err := checkOutputFile(f.Value.String()); err != nil {
				return &usageError{err: fmt.Errorf("--%s: %w", name, err), command: cmd.CommandPath()}
			}
		}
	}
	return nil
}

// checkOutputFile refuses an output file that could not be written once the work is
// done: its directory is missing or read-only, or it is a directory. "-" is stdout.
func checkOutputFile(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory; name a file in it", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("cannot write %s: no directory %s", path, dir)
	case !st.IsDir():
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("cannot write %s: directory %s: %w", path, dir, err)
	}
	return nil
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// splitArgs separates node selectors from the Nix arguments after "--".
func splitArgs(cmd *cobra.Command, args []string) (selectors, nixArgs []string) {
	if i := cmd.ArgsLenAtDash(); i >= 0 {
		return args[:i], args[i:]
	}
	return args, nil
}

// connectionsAndSelect evaluates the deployment's network level and its nodes'
// connection settings (no host evaluated) and selects the nodes the command works on:
// for the commands that reach hosts but need not know their configurations (exec,
// ssh, verify, secrets).
func (g *globalOptions) connectionsAndSelect(ctx context.Context, nixArgs, selectors []string) (*eval.Network, []string, error) {
	ev, err := g.evaluator(nixArgs)
	if err != nil {
		return nil, nil, err
	}
	network, err := ev.ConnectionPlan(ctx)
	if err != nil {
		return nil, nil, err
	}
	names, err := selectNodes(network, selectors)
	if err != nil {
		return nil, nil, err
	}
	return network, names, nil
}

// planSelected selects nodes from the deployment's index and evaluates the plan of
// those alone (with the network level and their checks) in worker processes, nothing
// instantiated: for the commands that read the selected hosts' configurations (eval,
// diff). The network has only the selected nodes.
func (g *globalOptions) planSelected(ctx context.Context, nixArgs, selectors []string, w workerOptions) (*eval.Network, []string, error) {
	_, network, names, _, err := g.selectAndEvaluate(ctx, nixArgs, selectors, w, false)
	return network, names, err
}

// workerReport says what the evaluation workers cost, when there were several (or with
// --verbose).
func (g *globalOptions) workerReport(nodes int, stats *eval.WorkerStats) {
	if g.Verbose || stats.Workers > 1 {
		budget := "no memory limit"
		if stats.Budget >= 0 {
			budget = "memory budget " + deploy.HumanBytes(stats.Budget)
		}
		fmt.Fprintf(g.Stderr, "evaluated %d node(s) in %d process(es), at most %d at once: %s, peak %d MiB in one process (%s)\n",
			nodes, stats.Workers, stats.MaxRunning, stats.Wall.Round(time.Millisecond), stats.PeakRSSKB/1024, budget)
	}
}

// evalOptions for the commands that evaluate hosts (build, deploy): how many worker
// processes evaluate them and how many nodes each takes (see eval.EvalNodes).
type workerOptions struct {
	EvalWorkers int
	EvalBatch   int
	EvalMemory  string // "": the default budget; "none": no limit
	// Builders and MaxJobs go to the builds (nix-store --realise): Nix's remote builders.
	Builders string
	MaxJobs  string // "": nix.conf's
}

func (w *workerOptions) flags(cmd *cobra.Command) {
	w.evalFlags(cmd)
	cmd.Flags().StringVar(&w.Builders, "builders", "", "Nix remote `BUILDERS` for the systems' builds, as nix.conf's builders setting (e.g. 'ssh://root@build1 x86_64-linux - 4'; several separated by ;); nix.conf's own builders apply without it")
	cmd.Flags().StringVar(&w.MaxJobs, "max-jobs", "", "`N` local build jobs, or auto (one per CPU); 0: build only on the --builders (default: nix.conf's)")
}

// evalFlags are the worker flags of the commands that evaluate hosts without building.
func (w *workerOptions) evalFlags(cmd *cobra.Command) {
	cmd.Flags().IntVar(&w.EvalWorkers, "eval-workers", 0, "evaluate the selected nodes in at most `N` processes at once (0: one per CPU; fewer when the nodes are too light to pay for starting one)")
	cmd.Flags().IntVar(&w.EvalBatch, "eval-batch", 0, "give each evaluation process at most `N` nodes, then a new one (0: an even share, at most 10 at first, more where the network level outweighs light nodes, fewer where memory is short); bounds the memory of one process")
	cmd.Flags().StringVar(&w.EvalMemory, "eval-memory", "", "the memory the evaluation processes may use together, e.g. 8GiB (units K, M, G, T: powers of 1024); smaller batches and fewer processes at once keep to it, one always runs; none: no limit (default: available memory less 1 GiB)")
}

// limits are the worker limits for the named nodes of the index: the memory budget of
// --eval-memory, a first per-node estimate from their kinds, and what the index's
// evaluation cost (the network level every worker evaluates).
func (w workerOptions) limits(index *eval.Network, names []string) (eval.WorkerLimits, error) {
	if err := w.check(); err != nil {
		return eval.WorkerLimits{}, err
	}
	memory, _ := parseMemory(w.EvalMemory)
	return eval.WorkerLimits{Workers: w.EvalWorkers, Batch: w.EvalBatch, Memory: memory, PerNode: index.MemoryPrior(names), PerNodeCPU: index.CPUPrior(names), Network: index.IndexCost}, nil
}

// check refuses worker flags that make no sense, before anything is evaluated.
func (w workerOptions) check() error {
	if w.EvalWorkers < 0 || w.EvalBatch < 0 {
		return usageErrorf("--eval-workers and --eval-batch must not be negative")
	}
	if _, err := parseMemory(w.EvalMemory); err != nil {
		return usageErrorf("--eval-memory %q: %v", w.EvalMemory, err)
	}
	return nil
}

// parseMemory reads a size: bytes, or a number with K, M, G or T (powers of 1024;
// "KiB", "KB" and "k" are the same); "" is 0 (the default budget), "none" -1 (no
// limit).
func parseMemory(s string) (int64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "":
		return 0, nil
	case "none", "unlimited":
		return -1, nil
	}
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	number, unit := t, ""
	if i >= 0 {
		number, unit = t[:i], strings.TrimSpace(t[i:])
	}
	v, err := strconv.ParseFloat(number, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("want a size such as 4GiB, 512M or none")
	}
	scale := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
	u := strings.ToLower(unit)
	if u != "b" {
		u = strings.TrimSuffix(strings.TrimSuffix(u, "b"), "i")
	}
	f, ok := scale[u]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q: want K, M, G or T", unit)
	}
	return int64(v * f), nil
}

// realiseArgs are the nix-store --realise arguments for --builders and --max-jobs.
func (w workerOptions) realiseArgs() []string {
	var args []string
	if w.Builders != "" {
		args = append(args, "--option", "builders", w.Builders)
	}
	if w.MaxJobs != "" {
		args = append(args, "--max-jobs", w.MaxJobs)
	}
	return args
}

// evalSelected selects nodes from the deployment's index (names, tags, enable: no host
// evaluated) and evaluates only those, in worker processes, each node once: their plan
// (with the network level), checks and instantiated systems.
func (g *globalOptions) evalSelected(ctx context.Context, nixArgs, selectors []string, w workerOptions) (*eval.Evaluator, *eval.Network, []string, map[string]string, error) {
	if n, err := strconv.Atoi(w.MaxJobs); w.MaxJobs != "" && w.MaxJobs != "auto" && (err != nil || n < 0) {
		return nil, nil, nil, nil, usageErrorf("--max-jobs %q: give a number of jobs (0 or more) or auto", w.MaxJobs)
	}
	return g.selectAndEvaluate(ctx, nixArgs, selectors, w, true)
}

// selectAndEvaluate is evalSelected, with the systems instantiated or not.
func (g *globalOptions) selectAndEvaluate(ctx context.Context, nixArgs, selectors []string, w workerOptions, systems bool) (*eval.Evaluator, *eval.Network, []string, map[string]string, error) {
	if err := w.check(); err != nil {
		return nil, nil, nil, nil, err
	}
	ev, err := g.evaluator(nixArgs)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ev.RealiseArgs = w.realiseArgs()
	index, err := ev.Index(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	names, err := selectNodes(index, selectors)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	limits, err := w.limits(index, names)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var network *eval.Network
	var drvs map[string]string
	var stats *eval.WorkerStats
	if systems {
		network, drvs, stats, err = ev.EvalNodes(ctx, names, limits)
	} else {
		network, stats, err = ev.EvalPlan(ctx, names, limits)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	g.workerReport(len(names), stats)
	if err := g.nodeWarnings(network, names, ev.Warnings()); err != nil {
		return nil, nil, nil, nil, err
	}
	return ev, network, names, drvs, nil
}

// nodeWarnings says, after the selected nodes are evaluated, what the engine itself
// finds in them: per node, the options its kind of host does not apply (a standalone
// host applies only its schema: `nixmesh options` lists it), the sshOptions its SSH
// client ignores and the files they name that this machine lacks, and the health checks
// whose command no shell parses, each at the line that sets it (with --strict,
// evaluation errors instead); across nodes, hosts given one networking.hostName (a
// warning). deployment: the deployment's own warnings the evaluation showed (its
// modules', its hosts'), which --strict makes errors too.
func (g *globalOptions) nodeWarnings(network *eval.Network, names []string, deployment []string) error {
	var ds []eval.Diagnostic
	var text strings.Builder
	if g.Strict {
		for _, w := range deployment {
			ds = append(ds, eval.Diagnostic{Message: w + " (a warning of the deployment's; --strict makes it an error)"})
			fmt.Fprintf(&text, "error: %s\n", w)
		}
	}
	// warn prints a warning, or with --strict records it as an error of the option.
	warn := func(msg, option string, files []string) {
		if !g.Strict {
			fmt.Fprintf(g.Stderr, "warning: %s\n", msg)
			g.warned = append(g.warned, msg)
			return
		}
		ds = append(ds, locatedAt(eval.Diagnostic{Message: msg + "; --strict makes this an error", OptionPath: option}, files))
		fmt.Fprintf(&text, "error: %s\n", msg)
	}
	home, _ := os.UserHomeDir()
	for _, name := range names {
		node := network.Nodes[name]
		if node == nil {
			continue
		}
		for _, opt := range node.NotApplied {
			files, ok := node.Where["configuration."+opt]
			if !ok {
				files = node.Where["configuration"]
			}
			why := "(a typo of a NixOS option name?)"
			if hint := eval.PeerSettingHint(name, opt); hint != "" {
				why = "(" + hint + ")"
			}
			warn(fmt.Sprintf("node %s sets `%s'%s, which %s hosts do not apply; it is ignored on the host %s", name, opt, inFiles(files, "in "), node.Kind, why),
				"nodes."+name+".configuration."+opt, files)
		}
		// What nixmesh's SSH client would ignore or miss when connecting, said before it does.
		files := node.Where["sshOptions"]
		if ignored := deploy.IgnoredSSHOptions(node.SSHOptions); len(ignored) > 0 {
			warn(fmt.Sprintf("node %s's sshOptions %q%s are ignored: nixmesh's SSH client reads only %s (set others in ssh_config for other tools)", name, ignored, inFiles(files, "in "), deploy.ReadSSHOptions),
				"nodes."+name+".sshOptions", files)
		}
		for _, missing := range deploy.MissingSSHFiles(node.SSHOptions, home) {
			warn(fmt.Sprintf("node %s's sshOptions%s name the %s, which does not exist on this machine: SSH goes on without it, and the connection fails where it was needed", name, inFiles(files, "in "), missing),
				"nodes."+name+".sshOptions", files)
		}
		// An activation snippet, or a command check, that no shell can parse fails on the
		// host at every deploy.
		for _, script := range slices.Sorted(maps.Keys(node.Configuration.System.ActivationScripts)) {
			if err := deploy.ShellSyntaxError(node.Configuration.System.ActivationScripts[script].Text); err != nil {
				files, where := node.Where["configuration.system.activationScripts."+script], "in "
				if len(files) == 0 {
					files, where = node.Where["configuration"], "in the configuration of "
				}
				warn(fmt.Sprintf("node %s's activation script `%s'%s is no shell script (%v): the activation fails, and every deploy of %s rolls back", name, script, inFiles(files, where), err, name),
					"nodes."+name+".configuration.system.activationScripts."+script, files)
			}
		}
		for _, c := range node.HealthChecks {
			if c.Kind != "command" || c.Feature != nil {
				continue
			}
			if err := deploy.ShellSyntaxError(c.Command); err != nil {
				warn(fmt.Sprintf("node %s's health check `%s'%s is no shell command line (%v): it fails on the host, and every deploy of %s rolls back", name, c.Name, inFiles(c.Where, "in "), err, name),
					"nodes."+name+".healthChecks.commands."+c.Name+".command", c.Where)
			}
		}
	}
	g.sameHostNames(network, names)
	if len(ds) == 0 {
		return nil
	}
	return &eval.EvalError{Diagnostics: ds, Proc: &command.ProcessError{Argv: []string{"nixmesh", "--strict"}, ExitCode: exitEval, Stderr: text.String()}}
}

func selectNodes(n *eval.Network, selectors []string) ([]string, error) {
	names, err := eval.Select(n, selectors)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		if len(n.Nodes) == 0 {
			return nil, usageErrorf("the deployment has no nodes")
		}
		return nil, usageErrorf("the deployment has no enabled node; select disabled ones by name (%s)", strings.Join(n.Names(), ", "))
	}
	return names, nil
}

// inFiles is " (LEAD`f1', `f2')" for the given locations, "" for none.
func inFiles(files []string, lead string) string {
	if len(files) == 0 {
		return ""
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "`" + f + "'"
	}
	return " (" + lead + strings.Join(quoted, ", ") + ")"
}

// locatedAt is d located at the first of files, when there is one.
func locatedAt(d eval.Diagnostic, files []string) eval.Diagnostic {
	if len(files) == 0 {
		return d
	}
	return d.At(files[0])
}

// sameHostNames warns about selected nodes whose hosts a deployment gives one
// networking.hostName (defaults.configuration.networking.hostName = "server", say,
// where `name' was meant): each of them would call itself by it. Hosts that keep the
// default name (NixOS's "nixos") or set none ("") are left alone.
func (g *globalOptions) sameHostNames(network *eval.Network, names []string) {
	byName := map[string][]string{}
	for _, name := range names {
		node := network.Nodes[name]
		if node == nil || !node.Enable || len(node.Where["hostName"]) == 0 || node.Configuration.Networking.HostName == "" {
			continue
		}
		byName[node.Configuration.Networking.HostName] = append(byName[node.Configuration.Networking.HostName], name)
	}
	hostNames := make([]string, 0, len(byName))
	for h := range byName {
		hostNames = append(hostNames, h)
	}
	sort.Strings(hostNames)
	for _, h := range hostNames {
		nodes := byName[h]
		if len(nodes) < 2 {
			continue
		}
		natural.Sort(nodes)
		var files []string
		for _, n := range nodes {
			files = append(files, network.Nodes[n].Where["hostName"]...)
		}
		all := "all"
		if len(nodes) == 2 {
			all = "both"
		}
		msg := fmt.Sprintf("nodes %s %s set networking.hostName to %q%s: each of their hosts would call itself %s (prompt, logs, /etc/hostname). Give each its own, e.g. defaults = { name, ... }: { configuration.networking.hostName = name; };",
			strings.Join(nodes, ", "), all, h, inFiles(slices.Compact(slices.Sorted(slices.Values(files))), "in "), h)
		fmt.Fprintf(g.Stderr, "warning: %s\n", msg)
		g.warned = append(g.warned, msg)
	}
}
