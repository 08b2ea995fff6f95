package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/natural"
)

// nixArgFlags are the global --arg/--argstr flags: NAME=VALUE, passed to Nix as --arg NAME
// VALUE. Every command takes them; exec and ssh need them, as their `--` is taken by the
// remote command.
type nixArgFlags struct{ args, argstrs []string }

func (f *nixArgFlags) add(flags *pflag.FlagSet) {
	flags.StringArrayVar(&f.args, "arg", nil, "pass `NAME=EXPR` to a deployment that is a function (as nix's --arg NAME EXPR; repeatable)")
	flags.StringArrayVar(&f.argstrs, "argstr", nil, "pass `NAME=STRING` to a deployment that is a function (as nix's --argstr NAME STRING; repeatable)")
}

func (f *nixArgFlags) nixArgs() ([]string, error) {
	var out []string
	for _, set := range []struct {
		flag   string
		values []string
	}{{"--arg", f.args}, {"--argstr", f.argstrs}} {
		for _, v := range set.values {
			name, value, ok := strings.Cut(v, "=")
			if !ok || name == "" {
				return nil, usageErrorf("%s %q: want NAME=VALUE", set.flag, v)
			}
			out = append(out, set.flag, name, value)
		}
	}
	return out, nil
}

// sshFileFlags adds -i/--identity and --known-hosts, the files every command that reaches
// hosts takes (checked before anything is evaluated: checkSSHFileFlags).
func sshFileFlags(f *pflag.FlagSet, identities, knownHosts *[]string) {
	f.StringArrayVarP(identities, "identity", "i", nil, "private key `FILE` to offer first (repeatable)")
	f.StringArrayVar(knownHosts, "known-hosts", nil, "extra known_hosts `FILE` to trust (repeatable)")
}

// sshOptionsFor are the transport settings every command that logs in to nodes uses: the
// plan's declared host keys, and the -i/--known-hosts flags.
func sshOptionsFor(network *eval.Network, identities, knownHosts []string) (deploy.SSHOptions, error) {
	model, err := crossmodules.Decode(network)
	if err != nil {
		return deploy.SSHOptions{}, err
	}
	return deploy.SSHOptions{
		IdentityFiles:        identities,
		ExtraKnownHostsFiles: knownHosts,
		DeclaredHostKeys:     model.SSH.DeclaredHostKeys(),
	}, nil
}

// ---- exec ---------------------------------------------------------------------------

type execOptions struct {
	global     *globalOptions
	Selectors  []string
	Argv       []string
	Parallel   int
	Group      bool
	Sudo       bool
	Timeout    time.Duration
	Identities []string
	KnownHosts []string
}

// execFailedError: a command exited non-zero on some host (exit 1), or a host could not
// be reached or did not finish (exit 5).
type execFailedError struct {
	unreachable bool
	err         error
}

func (e *execFailedError) Error() string { return e.err.Error() }
func (e *execFailedError) Unwrap() error { return e.err }

func newExecCommand(g *globalOptions) *cobra.Command {
	opts := execOptions{global: g}
	cmd := &cobra.Command{
		Use:   "exec [NODE|@TAG|GLOB...] -- COMMAND...",
		Short: "Run a command on the selected hosts in parallel",
		Long: `Run a command on the selected nodes' hosts at once, over the deploy engine's SSH
transport: each node's user, port, sshOptions, ssh_config, identities and host keys
(known_hosts and the declared ones) as for 'nixmesh deploy'. Nothing is built, and no
host configuration is evaluated (only the network level and the nodes' settings).

The command comes after '--'. One argument is a command line for the host's login
shell, as with ssh ('systemctl status nsd | head -3' works); several are the exact
words of one command, each quoted. --sudo runs it as root through the node's
privilegeEscalationCommand when the node does not log in as root.

Output lines are prefixed with the node's name as they come (stderr's on stderr), or
with --group printed together per host as each one finishes. A table of exit codes
follows on stderr. Nix arguments of a deployment that is a function go in --arg and
--argstr (NAME=VALUE), since '--' belongs to the command.

Exit codes: 0 the command exited 0 everywhere, 1 it exited non-zero on some host,
2 usage error, 3 evaluation error, 5 a host could not be reached or did not finish
within --timeout, 130 interrupted.`,
		Example: `  nixmesh exec -- uptime                          every enabled node
  nixmesh exec web @db -- 'systemctl is-active nsd || journalctl -u nsd -n 20'
  nixmesh exec 'web-*' --group -- df -h /        one block of output per host
  nixmesh exec --sudo --parallel 2 -- nix-collect-garbage -d
  nixmesh exec --argstr labHosts=./lab.nix -- readlink /run/current-system`,
		RunE: func(cmd *cobra.Command, args []string) error {
			i := cmd.ArgsLenAtDash()
			if i < 0 || i == len(args) {
				return usageErrorf("no command: put it after '--' (nixmesh exec [NODE...] -- COMMAND...)")
			}
			opts.Selectors, opts.Argv = args[:i], args[i:]
			return runExec(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Parallel, "parallel", 10, "run on at most `N` hosts at once")
	f.BoolVar(&opts.Group, "group", false, "print each host's output together when it finishes, instead of line by line as it comes")
	f.BoolVar(&opts.Sudo, "sudo", false, "run as root through the node's privilegeEscalationCommand when it does not log in as root")
	f.DurationVar(&opts.Timeout, "timeout", 0, "give up on a host whose command has not finished after `DURATION` (e.g. 30s; 0: no limit)")
	sshFileFlags(f, &opts.Identities, &opts.KnownHosts)
	return cmd
}

// execResult is one host's outcome.
type execResult struct {
	node     string
	code     int // -1: no exit code
	err      error
	duration time.Duration
}

func runExec(ctx context.Context, opts execOptions, out io.Writer) error {
	if opts.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	if len(opts.Argv) == 0 {
		return usageErrorf("no command given")
	}
	stderr := opts.global.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	network, names, err := opts.global.connectionsAndSelect(ctx, nil, opts.Selectors)
	if err != nil {
		return err
	}
	sshOpts, err := sshOptionsFor(network, opts.Identities, opts.KnownHosts)
	if err != nil {
		return err
	}

	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	var mu sync.Mutex // one writer at a time on out and stderr
	results := make([]execResult, len(names))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = execResult{node: name, code: -1, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			var stdout, errOut io.Writer
			var bufOut, bufErr bytes.Buffer
			if opts.Group {
				stdout, errOut = &bufOut, &bufErr
			} else {
				prefix := fmt.Sprintf("%-*s | ", width, name)
				po := &prefixWriter{mu: &mu, w: out, prefix: prefix}
				pe := &prefixWriter{mu: &mu, w: stderr, prefix: prefix}
				defer po.flush()
				defer pe.flush()
				stdout, errOut = po, pe
			}
			start := time.Now()
			code, err := execOn(ctx, sshOpts, network.Nodes[name], deploy.Command{Argv: opts.Argv, AsRoot: opts.Sudo, Stdout: stdout, Stderr: errOut}, opts.Timeout)
			results[i] = execResult{node: name, code: code, err: err, duration: time.Since(start)}
			if opts.Group {
				mu.Lock()
				status := fmt.Sprintf("exit %d", code)
				if err != nil {
					status = "error: " + err.Error()
				}
				fmt.Fprintf(out, "=== %s (%s)\n", name, status)
				out.Write(bufOut.Bytes())
				if bufOut.Len() > 0 && !bytes.HasSuffix(bufOut.Bytes(), []byte("\n")) {
					fmt.Fprintln(out)
				}
				stderr.Write(bufErr.Bytes())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	sort.Slice(results, func(i, j int) bool { return natural.Less(results[i].node, results[j].node) })
	fmt.Fprintln(stderr)
	tw := tabwriter.NewWriter(stderr, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tEXIT\tDURATION\tERROR")
	var failed, unreachable []string
	for _, r := range results {
		code, msg := fmt.Sprint(r.code), ""
		switch {
		case r.err != nil:
			code, msg = "-", r.err.Error()
			unreachable = append(unreachable, r.node)
		case r.code != 0:
			failed = append(failed, r.node)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.node, code, r.duration.Round(10*time.Millisecond), msg)
	}
	tw.Flush()
	switch {
	case ctx.Err() != nil:
		return &interruptedError{err: ctx.Err()}
	case len(unreachable) > 0:
		return &execFailedError{unreachable: true, err: fmt.Errorf("the command did not run to its end on %s", strings.Join(unreachable, ", "))}
	case len(failed) > 0:
		return &execFailedError{err: fmt.Errorf("the command failed on %s", strings.Join(failed, ", "))}
	}
	return nil
}

// execOn connects to one node and runs the command, bounded by timeout (0: none).
func execOn(ctx context.Context, o deploy.SSHOptions, n *eval.Node, c deploy.Command, timeout time.Duration) (int, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, fmt.Errorf("not finished after %s (--timeout)", timeout))
		defer cancel()
	}
	s, err := deploy.Open(ctx, o, deploy.NewTarget(n, ""))
	if err != nil {
		return -1, err
	}
	defer s.Close()
	code, err := s.Exec(ctx, c)
	if err != nil && context.Cause(ctx) != nil {
		err = context.Cause(ctx)
	}
	return code, err
}

// prefixWriter writes whole lines to w, each with prefix; a partial last line waits for
// its end (or flush).
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.emit(p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *prefixWriter) emit(line []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, p.prefix)
	p.w.Write(line)
}

func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
}

// ---- ssh ----------------------------------------------------------------------------

type sshOptions struct {
	global     *globalOptions
	Node       string
	Argv       []string
	TTY        bool
	Sudo       bool
	Identities []string
	KnownHosts []string
	Stdin      *os.File // nil: os.Stdin
}

func newSSHCommand(g *globalOptions) *cobra.Command {
	opts := sshOptions{global: g}
	cmd := &cobra.Command{
		Use:   "ssh NODE [-- COMMAND...]",
		Short: "Log in to a node's host, or run one command there, with its settings",
		Long: `Log in to a node's host over the deploy engine's SSH transport: the node's user,
port and sshOptions, ssh_config (HostName, Port, User, IdentityFile, ProxyJump,
ConnectTimeout, ConnectionAttempts, ServerAliveInterval/CountMax), the agent and
identities, and its host key checked against known_hosts and the keys the
deployment declares, exactly as 'nixmesh deploy' reaches it. Any node, not only lab
hosts; a disabled node too, by its name.

Without a command it opens the login shell on a terminal. With one (after '--'; one
argument is a command line for the login shell, several are exact words), it runs it
and exits with its exit code; -t gives it a terminal too. --sudo runs the command (or
a root shell) through the node's privilegeEscalationCommand when the node does not log
in as root.`,
		Example: `  nixmesh ssh web
  nixmesh ssh web -- readlink /var/lib/nixmesh/current-system
  nixmesh ssh db --sudo -- 'journalctl -u nsd -n 50'
  nixmesh ssh web -t -- htop`,
		RunE: func(cmd *cobra.Command, args []string) error {
			i := cmd.ArgsLenAtDash()
			node := args
			if i >= 0 {
				node, opts.Argv = args[:i], args[i:]
			}
			if len(node) != 1 {
				return usageErrorf("ssh takes one node (then '--' and the command), got %d", len(node))
			}
			opts.Node = node[0]
			return runSSH(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.TTY, "tty", "t", false, "give the command a terminal too (as ssh -t)")
	f.BoolVar(&opts.Sudo, "sudo", false, "run as root through the node's privilegeEscalationCommand when it does not log in as root")
	sshFileFlags(f, &opts.Identities, &opts.KnownHosts)
	return cmd
}

func runSSH(ctx context.Context, opts sshOptions, out io.Writer) error {
	if strings.ContainsAny(opts.Node, "@*?[") {
		return usageErrorf("ssh takes one node by its name, not a selection (%q)", opts.Node)
	}
	network, names, err := opts.global.connectionsAndSelect(ctx, nil, []string{opts.Node})
	if err != nil {
		return err
	}
	sshOpts, err := sshOptionsFor(network, opts.Identities, opts.KnownHosts)
	if err != nil {
		return err
	}
	stderr := opts.global.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	stdin := opts.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	s, err := deploy.Open(ctx, sshOpts, deploy.NewTarget(network.Nodes[names[0]], ""))
	if err != nil {
		return err
	}
	defer s.Close()
	c := deploy.Command{Argv: opts.Argv, AsRoot: opts.Sudo, Stdout: out, Stderr: stderr}
	if opts.Sudo && len(opts.Argv) == 0 {
		// A root shell: the escalation command's own login shell (sudo -i, doas -s...)
		// is not known; run root's shell through it.
		c.Argv = []string{"exec \"$(getent passwd root | cut -d: -f7)\" -l"}
		if s.LogsInAsRoot() {
			c.Argv = nil
		} else {
			opts.TTY = true
		}
	}
	code, err := s.Login(ctx, c, stdin, opts.TTY)
	if err != nil {
		if ctx.Err() != nil {
			return &interruptedError{err: ctx.Err()}
		}
		return fmt.Errorf("%s: %w", names[0], err)
	}
	if code != 0 {
		return &exitStatusError{code: code}
	}
	return nil
}
