package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/secrets"
)

const labLong = `The local lab: test hosts on this machine, each in its own network, mount, PID
and UTS namespace, with its own /nix (an empty store), /etc (a copy of this machine's),
/home, /root, /var, /run and /tmp, and an sshd that accepts the lab's operator key for
root. Hosts sit on a bridge (nmlab-NAME) in --subnet, 198.18.0.0/24 by default; this
machine reaches them as the subnet's first address; nothing is forwarded anywhere else.
All lab commands need root.

State: /run/nixmesh/lab/NAME/ (state.json, the operator key id_ed25519, known_hosts,
one log per host); host directories: /var/lib/nixmesh-lab/NAME/HOST/. 'lab down'
removes all of it, the hosts' /nix included, and works after a crash.`

type labOptions struct {
	global *globalOptions
	Name   string
}

type labUpOptions struct {
	labOptions
	Hosts      int
	Subnet     string
	WriteNix   string
	Parallel   int
	Foreground bool
}

type labSSHOptions struct {
	labOptions
	Host   string
	Remote []string
	Stdin  io.Reader
}

func newLabCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run local test hosts in namespaces on this machine (root)",
		Long:  labLong,
		Example: `  sudo nixmesh lab up --hosts 3 --write-nix lab-hosts.nix
  sudo nixmesh lab up -f examples/lab/deploy.nix     the deployment's nodes in 198.18.0.0/24
  sudo nixmesh lab status
  sudo nixmesh lab ssh host1 -- nix-store --version
  sudo nixmesh lab crash host1     power loss: every process of host1 dies at once
  sudo nixmesh lab boot host1      start it again over its disk and run its boot activation
  sudo nixmesh lab down`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	for _, c := range []*cobra.Command{newLabUpCommand(g), newLabDownCommand(g), newLabStatusCommand(g), newLabSSHCommand(g), newLabCrashCommand(g), newLabBootCommand(g)} {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
		cmd.AddCommand(c)
	}
	return cmd
}

func newLabUpCommand(g *globalOptions) *cobra.Command {
	opts := labUpOptions{labOptions: labOptions{global: g}}
	cmd := &cobra.Command{
		Use:   "up [--hosts N | -f deploy.nix]",
		Short: "Bring a lab up",
		Long: `Bring a lab up. With --hosts N the hosts are host1..hostN at the subnet's .11, .12,
...; otherwise they are the deployment's nodes (-f, default ./deploy.nix) whose host
address lies in --subnet, named after the nodes. Returns when every host's sshd answers
(with --foreground: stays, and takes the lab down on Ctrl-C).`,
		Example: `  sudo nixmesh lab up -f examples/lab/deploy.nix --write-nix examples/lab/lab-generated.nix
  sudo nixmesh lab up --hosts 4 --name big --subnet 198.18.5.0/24
  sudo nixmesh lab up --hosts 2 --foreground     # Ctrl-C takes it down`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("hosts") && opts.Hosts < 1 {
				return usageErrorf("--hosts %d: a lab has at least one host", opts.Hosts)
			}
			return runLabUp(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Name, "name", lab.DefaultName, "the lab's `NAME`")
	f.IntVar(&opts.Hosts, "hosts", 0, "make `N` hosts host1..hostN instead of reading the deployment")
	f.StringVar(&opts.Subnet, "subnet", lab.DefaultSubnet, "the lab's IPv4 `CIDR`: in 198.18.0.0/15 or a private range, overlapping no route of this machine")
	f.StringVar(&opts.WriteNix, "write-nix", "", "write each host's address and SSH host key to `FILE`, for deploy.nix to import")
	f.IntVar(&opts.Parallel, "parallel", 8, "set up at most `N` hosts at once")
	f.BoolVar(&opts.Foreground, "foreground", false, "stay in the foreground; take the lab down on Ctrl-C or SIGTERM")
	return cmd
}

func newLabDownCommand(g *globalOptions) *cobra.Command {
	opts := labOptions{global: g}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Take a lab down and remove everything it made",
		Long: `Kill the lab's hosts, delete its network namespaces, links and bridge, and remove
its state and host directories. Works on a lab left half-made by a crash; does nothing
for a lab that is not there.`,
		Example: `  sudo nixmesh lab down
  sudo nixmesh lab down --name big`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLabDown(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	nameFlag(cmd, &opts.Name)
	return cmd
}

func newLabStatusCommand(g *globalOptions) *cobra.Command {
	opts := labOptions{global: g}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the labs' hosts and whether init, sshd and SSH work",
		Example: `  sudo nixmesh lab status
  sudo nixmesh lab status --name big`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLabStatus(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "show only the lab `NAME` (default: every lab)")
	return cmd
}

func newLabSSHCommand(g *globalOptions) *cobra.Command {
	opts := labSSHOptions{labOptions: labOptions{global: g}}
	cmd := &cobra.Command{
		Use:   "ssh HOST [-- COMMAND...]",
		Short: "Log in to a lab host as root with the system ssh",
		Example: `  sudo nixmesh lab ssh web
  sudo nixmesh lab ssh web -- readlink /var/lib/nixmesh/current-system`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if i := cmd.ArgsLenAtDash(); i > 1 || (i < 0 && len(args) > 1) {
				return usageErrorf("lab ssh takes one host; put the command after --")
			}
			opts.Host, opts.Remote = args[0], args[1:]
			opts.Stdin = cmd.InOrStdin()
			return runLabSSH(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	nameFlag(cmd, &opts.Name)
	return cmd
}

func newLabCrashCommand(g *globalOptions) *cobra.Command {
	opts := labOptions{global: g}
	cmd := &cobra.Command{
		Use:   "crash HOST",
		Short: "Crash a lab host as a power loss would",
		Long: `Kill every process of HOST at once (SIGKILL to its init, which ends its PID
namespace) and remove its network link, as a power loss would: nothing is told, a switch
under way is cut off wherever it is. Its directory, its disk, stays; 'lab boot HOST'
starts it again.`,
		Example: `  sudo nixmesh lab crash web
  sudo nixmesh lab crash web --name big`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := openLabRoot(opts.Name)
			if err != nil {
				return err
			}
			if err := l.Crash(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: crashed (every process killed; its disk kept). Start it again with: nixmesh lab boot %s\n", args[0], args[0])
			return nil
		},
	}
	nameFlag(cmd, &opts.Name)
	return cmd
}

func newLabBootCommand(g *globalOptions) *cobra.Command {
	opts := labOptions{global: g}
	cmd := &cobra.Command{
		Use:   "boot HOST",
		Short: "Start a crashed lab host again and run its boot activation",
		Long: `Start HOST again over its surviving directory, with an empty /run and /tmp, and
once its sshd answers run what a standalone host's boot hook runs: 'nixmesh-switch boot'
from its system profile. That ends a switch the crash interrupted and activates the boot
default, the last confirmed system: a host crashed before its switch was confirmed comes
back on its old system, one crashed after on the new one.`,
		Example: `  sudo nixmesh lab crash web && sudo nixmesh lab boot web`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := openLabRoot(opts.Name)
			if err != nil {
				return err
			}
			out, err := l.Boot(cmd.Context(), args[0])
			fmt.Fprint(cmd.OutOrStdout(), out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: up\n", args[0])
			return nil
		},
	}
	nameFlag(cmd, &opts.Name)
	return cmd
}

// nameFlag adds --name to a command on an existing lab.
func nameFlag(cmd *cobra.Command, name *string) {
	cmd.Flags().StringVar(name, "name", "", "the lab's `NAME` (default: the only lab up; required when several are)")
}

// openLabRoot opens a lab for a command that changes it (root only).
func openLabRoot(name string) (*lab.Lab, error) {
	if os.Geteuid() != 0 {
		return nil, lab.ErrNeedsRoot
	}
	name, err := labName(name)
	if err != nil {
		return nil, err
	}
	return lab.Open(name)
}

func runLabUp(ctx context.Context, opts labUpOptions, out io.Writer) error {
	subnet, err := netip.ParsePrefix(opts.Subnet)
	if err != nil {
		return usageErrorf("--subnet %q is not a CIDR like %s", opts.Subnet, lab.DefaultSubnet)
	}
	if subnet.Addr().Is4() {
		if err := lab.CheckPrivate(subnet.Masked()); err != nil {
			return usageErrorf("--subnet: %v", err)
		}
	}
	if err := lab.ValidateName(opts.Name); err != nil {
		return usageErrorf("--name: %v", err)
	}
	if opts.Hosts < 0 || opts.Parallel < 1 {
		return usageErrorf("--hosts must not be negative and --parallel must be at least 1")
	}
	if os.Geteuid() != 0 {
		return lab.ErrNeedsRoot
	}
	cfg := lab.Config{Name: opts.Name, Subnet: subnet, Parallel: opts.Parallel, WriteNix: opts.WriteNix, Progress: out}
	if opts.Hosts > 0 {
		if opts.global.FileExplicit {
			return usageErrorf("give either --hosts or -f, not both")
		}
		cfg.Hosts = lab.NumberedHosts(opts.Hosts)
	} else {
		if !opts.global.FileExplicit {
			if _, err := os.Stat(opts.global.File); err != nil {
				return usageErrorf("give --hosts N, or a deployment with -f FILE (there is no %s)", opts.global.File)
			}
		}
		ev, err := opts.global.evaluator(nil)
		if err != nil {
			return err
		}
		// Only the nodes' names and addresses: read from the config without the checks,
		// so that a first deployment whose SSH host keys and WireGuard keys do not exist
		// yet (they come from the running hosts) can bring its lab up.
		inv, err := secrets.LoadInventory(ctx, ev.File, nil, ev.Env)
		if err != nil {
			return err
		}
		var nodes []lab.Node
		for _, name := range inv.Names() {
			_, host, port, err := inv.Nodes[name].Address()
			if err != nil {
				fmt.Fprintf(opts.global.Stderr, "not in the lab: node %s %v\n", name, err)
				continue
			}
			nodes = append(nodes, lab.Node{Name: name, Hostname: host, Port: port})
		}
		hosts, outside := lab.HostsInSubnet(nodes, subnet)
		if len(outside) > 0 {
			fmt.Fprintf(opts.global.Stderr, "not in the lab (host not in %s): %s\n", subnet.Masked(), strings.Join(outside, ", "))
		}
		if len(hosts) == 0 {
			return usageErrorf("no node of %s has its host in %s; give --hosts N or --subnet", ev.File, subnet.Masked())
		}
		cfg.Hosts = hosts
	}
	// A configuration no lab can have (more hosts than the subnet holds, a prefix out of
	// range) is the flags' mistake: a usage error, before anything is made.
	if err := cfg.Check(); err != nil {
		return usageErrorf("%v", err)
	}
	start := time.Now()
	l, err := lab.Up(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "lab %s is up: %d hosts on %s (%s, this machine is %s), in %.1fs\n",
		l.Name(), len(l.Hosts()), l.Bridge(), l.Subnet(), l.OperatorAddress(), time.Since(start).Seconds())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, h := range l.Hosts() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", h.Name, h.Address, h.HostKey)
	}
	tw.Flush()
	first := l.Hosts()[0].Name
	argv, _ := l.SSHArgs(first)
	nameFlag := ""
	if l.Name() != lab.DefaultName {
		nameFlag = " --name " + l.Name()
	}
	fmt.Fprintf(out, "ssh to a host:\n  nixmesh lab ssh%s %s\n  %s\n", nameFlag, first, strings.Join(argv, " "))
	if opts.WriteNix != "" {
		fmt.Fprintf(out, "hosts written to %s\n", opts.WriteNix)
	}
	if !opts.Foreground {
		fmt.Fprintf(out, "take it down with: nixmesh lab down%s\n", nameFlag)
		return nil
	}
	fmt.Fprintln(out, "ready; press Ctrl-C to take the lab down")
	<-ctx.Done()
	fmt.Fprintf(out, "taking lab %s down\n", l.Name())
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return l.Down(dctx)
}

// labName resolves --name for commands on an existing lab: the only lab when there is
// exactly one, "default" when there is none (to say it is not there), and a usage error
// when there are several: a lab the user did not name is never acted on.
func labName(name string) (string, error) {
	if name != "" {
		if err := lab.ValidateName(name); err != nil {
			return "", usageErrorf("--name: %v", err)
		}
		return name, nil
	}
	names, err := lab.List()
	if err != nil {
		return "", err
	}
	return pickLab(names)
}

func pickLab(names []string) (string, error) {
	switch len(names) {
	case 0:
		return lab.DefaultName, nil
	case 1:
		return names[0], nil
	}
	return "", usageErrorf("%d labs are up (%s): say which with --name", len(names), strings.Join(names, ", "))
}

func runLabDown(ctx context.Context, opts labOptions, out io.Writer) error {
	if os.Geteuid() != 0 {
		return lab.ErrNeedsRoot
	}
	name, err := labName(opts.Name)
	if err != nil {
		return err
	}
	_, err = lab.Open(name)
	notUp := errors.Is(err, lab.ErrNotFound)
	if err := lab.Down(ctx, name); err != nil { // also after a crash, or with nothing to do
		return err
	}
	if notUp {
		fmt.Fprintf(out, "lab %s is not up\n", name)
	} else {
		fmt.Fprintf(out, "lab %s is down\n", name)
	}
	return nil
}

func runLabStatus(ctx context.Context, opts labOptions, out io.Writer) error {
	if os.Geteuid() != 0 {
		return lab.ErrNeedsRoot
	}
	names := []string{opts.Name}
	if opts.Name == "" {
		var err error
		if names, err = lab.List(); err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(out, "no lab is up")
			return nil
		}
	}
	var problems []string
	for i, name := range names {
		l, err := lab.Open(name)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(out)
		}
		ready := "up"
		if !l.Ready() {
			ready = "not ready (still coming up, or left half-made: run nixmesh lab down --name " + name + ")"
		}
		fmt.Fprintf(out, "lab %s: %s on %s (this machine is %s), %s\n", name, l.Subnet(), l.Bridge(), l.OperatorAddress(), ready)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  HOST\tADDRESS\tINIT\tSSHD\tSSH")
		for _, s := range l.Status(ctx) {
			initCol, sshdCol, sshCol := "dead", "-", "ok"
			if s.InitAlive {
				initCol = fmt.Sprintf("pid %d", s.InitPID)
				sshdCol = "down"
				if s.SSHDAlive {
					sshdCol = "up"
				}
			}
			if s.SSH != nil {
				sshCol = "fails: " + s.SSH.Error()
				problems = append(problems, name+"/"+s.Name)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Name, s.Address, initCol, sshdCol, sshCol)
		}
		tw.Flush()
	}
	if len(problems) > 0 {
		return fmt.Errorf("ssh does not work on %s", strings.Join(problems, ", "))
	}
	return nil
}

func runLabSSH(ctx context.Context, opts labSSHOptions, out io.Writer) error {
	if os.Geteuid() != 0 {
		return lab.ErrNeedsRoot
	}
	name, err := labName(opts.Name)
	if err != nil {
		return err
	}
	l, err := lab.Open(name)
	if err != nil {
		return err
	}
	argv, err := l.SSHArgs(opts.Host, opts.Remote...)
	if err != nil {
		return usageErrorf("%v", err)
	}
	// Not tied to ctx: Ctrl-C belongs to the ssh session.
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, out, opts.global.Stderr
	if err := cmd.Run(); err != nil {
		// The remote command's status (or ssh's own 255) becomes nixmesh's, as with ssh.
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Exited() {
			return &exitStatusError{code: ee.ExitCode()}
		}
		return &command.ProcessError{Argv: argv, ExitCode: -1, Err: err}
	}
	return nil
}
