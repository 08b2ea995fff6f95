package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/nixmesh/nixmesh/internal/command"
)

// Where labs keep their state and their hosts' directories.
const (
	RunBase = "/run/nixmesh/lab"     // RunBase/<name>: state.json, operator key, known_hosts, logs
	DataDir = "/var/lib/nixmesh-lab" // DataDir/<name>/<host>: a host's /nix, /etc, /var, ...
)

// Timeouts of a host's start.
const (
	initTimeout = 30 * time.Second // init mounted its directories
	sshTimeout  = 30 * time.Second // sshd answers on the bridge
)

// Host is one lab host as seen from the operator.
type Host struct {
	Name    string
	Address netip.Addr
	Port    int    // sshd's port, 22 unless the deployment says otherwise
	HostKey string // "ssh-ed25519 AAAA..." (no comment)
}

// Lab is a running lab, made by Up or found by Open.
type Lab struct {
	st *State

	mu       sync.Mutex
	children map[string]chan struct{} // inits started by this process; closed when reaped
	ipMu     sync.Mutex               // serialises `ip netns attach` (its first use sets up /run/netns)
	progMu   sync.Mutex
	progress io.Writer
}

// Up brings a lab up: checks everything first (root, commands, names, the subnet against
// the machine's routes, leftovers of the same lab), then makes the bridge, the host
// directories, the inits, the network and the sshds, recording each in state.json before
// it is made. It returns when every host's sshd answers on the bridge. On failure or
// cancellation it removes whatever it made.
func Up(ctx context.Context, cfg Config) (_ *Lab, err error) {
	if os.Geteuid() != 0 {
		return nil, ErrNeedsRoot
	}
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	for _, c := range []struct{ cmd, pkg string }{
		{"ip", "iproute2"}, {sshdPath, "openssh-server"}, {"ssh-keygen", "openssh-client"},
		{"nsenter", "util-linux"}, {"cp", "coreutils"},
	} {
		if _, err := exec.LookPath(c.cmd); err != nil {
			return nil, fmt.Errorf("the lab needs %s (Debian package %s): %w", c.cmd, c.pkg, err)
		}
	}
	if cfg.WriteNix != "" {
		if st, err := os.Stat(filepath.Dir(cfg.WriteNix)); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("cannot write %s: no directory %s", cfg.WriteNix, filepath.Dir(cfg.WriteNix))
		}
	}
	runDir := filepath.Join(RunBase, cfg.Name)
	if err := checkFree(ctx, cfg, runDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(RunBase, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockDir(RunBase)
	if err != nil {
		return nil, err
	}
	var unlockOnce sync.Once
	release := func() { unlockOnce.Do(unlock) }
	defer release()
	if err := checkFree(ctx, cfg, runDir); err != nil { // again, now that no other lab can start
		return nil, err
	}
	if err := os.Mkdir(runDir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrExists, err)
	}

	dataDir := filepath.Join(DataDir, cfg.Name)
	st := &State{
		Version:  stateVersion,
		Name:     cfg.Name,
		Subnet:   cfg.Subnet.String(),
		Operator: cfg.Subnet.Addr().Next().String(),
		RunDir:   runDir,
		DataDir:  dataDir,
		Dirs:     []string{dataDir, runDir},
		path:     filepath.Join(runDir, "state.json"),
	}
	for i, h := range cfg.Hosts {
		st.Hosts = append(st.Hosts, HostState{
			Name: h.Name, Address: h.Address.String(), Port: h.Port, Index: i + 1,
			Root: filepath.Join(dataDir, h.Name),
			Log:  filepath.Join(runDir, "log", h.Name+".log"),
		})
	}
	l := &Lab{st: st, children: map[string]chan struct{}{}, progress: cfg.Progress}
	defer func() {
		if err != nil {
			release()
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if derr := l.teardown(ctx); derr != nil {
				err = errors.Join(err, fmt.Errorf("removing the partial lab (run `nixmesh lab down --name %s`): %w", cfg.Name, derr))
			}
		}
	}()
	if err := st.update(nil); err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(runDir, "log"), 0o755); err != nil {
		return nil, err
	}
	if err := run(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nixmesh-lab-"+cfg.Name, "-f", l.OperatorKey()); err != nil {
		return nil, fmt.Errorf("generating the operator key: %w", err)
	}
	opPub, err := os.ReadFile(l.OperatorKey() + ".pub")
	if err != nil {
		return nil, err
	}

	br := bridgeName(cfg.Name)
	if err := st.update(func(s *State) { s.Bridge = br }); err != nil {
		return nil, err
	}
	for _, argv := range [][]string{
		{"ip", "link", "add", br, "type", "bridge"},
		{"ip", "addr", "add", st.Operator + "/" + strconv.Itoa(cfg.Subnet.Bits()), "dev", br},
		{"ip", "link", "set", br, "up"},
	} {
		if err := run(ctx, argv...); err != nil {
			return nil, fmt.Errorf("making the lab bridge %s: %w", br, err)
		}
	}
	release() // the bridge's route now holds the subnet
	l.logf("bridge %s: operator %s/%d", br, st.Operator, cfg.Subnet.Bits())

	if err := os.MkdirAll(DataDir, 0o755); err != nil {
		return nil, err
	}
	if err := removeStaleData(dataDir, cfg.Name); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		return nil, err
	}
	template := filepath.Join(dataDir, ".etc-template")
	if err := makeEtcTemplate(ctx, template); err != nil {
		return nil, err
	}

	overlay := overlaySupported()
	all := st.snapshot()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Parallel)
	for i := range all {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := l.startHost(gctx, i, template, overlay, string(opPub), all); err != nil {
				return fmt.Errorf("lab host %s: %w", all[i].Name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if !overlay {
		if err := os.RemoveAll(template); err != nil {
			return nil, err
		}
	}
	if err := writeKnownHosts(l.KnownHostsFile(), l.Hosts()); err != nil {
		return nil, err
	}
	if cfg.WriteNix != "" {
		if err := WriteNix(cfg.WriteNix, l); err != nil {
			return nil, err
		}
	}
	if err := st.update(func(s *State) { s.Ready = true }); err != nil {
		return nil, err
	}
	return l, nil
}

// checkFree refuses a lab whose subnet overlaps a route, whose state exists, or whose
// bridge, links or network namespaces already exist. It creates nothing.
func checkFree(ctx context.Context, cfg Config, runDir string) error {
	if _, err := os.Stat(runDir); err == nil {
		return fmt.Errorf("%w: lab %q is already up (state in %s); take it down with `nixmesh lab down --name %s`",
			ErrExists, cfg.Name, runDir, cfg.Name)
	}
	if err := CheckSubnet(ctx, cfg.Subnet); err != nil {
		return err
	}
	if err := CheckPrivate(cfg.Subnet); err != nil {
		return err
	}
	var taken []string
	names := []string{bridgeName(cfg.Name)}
	for i := range cfg.Hosts {
		names = append(names, vethName(cfg.Name, i+1))
	}
	for _, n := range names {
		if linkExists(n) {
			taken = append(taken, "link "+n)
		}
	}
	for _, h := range cfg.Hosts {
		if _, err := os.Lstat(filepath.Join("/run/netns", netnsName(cfg.Name, h.Name))); err == nil {
			taken = append(taken, "netns "+netnsName(cfg.Name, h.Name))
		}
	}
	if len(taken) > 0 {
		return fmt.Errorf("%w: %s already exist; remove them (or choose another --name)", ErrExists, strings.Join(taken, ", "))
	}
	return nil
}

func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// lockDir takes an exclusive flock on a directory, for checks that must not race
// another `lab up`.
func lockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

func (l *Lab) logf(format string, args ...any) {
	if l.progress == nil {
		return
	}
	l.progMu.Lock()
	defer l.progMu.Unlock()
	fmt.Fprintf(l.progress, format+"\n", args...)
}

// startHost prepares host i's directories, starts its init, wires its network and waits
// for its sshd.
func (l *Lab) startHost(ctx context.Context, i int, template string, overlay bool, opPub string, all []HostState) error {
	h := all[i]
	key, err := prepareHost(ctx, h, template, overlay, opPub, all)
	if err != nil {
		return err
	}
	if err := l.st.update(func(s *State) { s.Hosts[i].HostKey = key }); err != nil {
		return err
	}
	return l.launchHost(ctx, i, h, template, overlay)
}

// launchHost starts a prepared host: its init over the host's directory, its network
// (the named netns, the veth on the bridge, the address) and its sshd; it returns once
// sshd answers on the bridge.
func (l *Lab) launchHost(ctx context.Context, i int, h HostState, template string, overlay bool) error {
	ic := initConfig{Host: h.Name, Root: h.Root, SSHDConfig: sshdConfigPath}
	if overlay {
		ic.EtcLower = template
	}
	spec, _ := json.Marshal(ic)
	fromUpR, fromUpW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer fromUpW.Close()
	toUpR, toUpW, err := os.Pipe()
	if err != nil {
		fromUpR.Close()
		return err
	}
	defer toUpR.Close()
	// Ctrl-C while waiting for init: stop waiting.
	defer context.AfterFunc(ctx, func() { _ = toUpR.SetReadDeadline(time.Now()) })()
	logf, err := os.OpenFile(h.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fromUpR.Close()
		toUpW.Close()
		return err
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{initArgv0, h.Name},
		Env:        []string{initEnv + "=" + string(spec), hostPathEnv},
		Dir:        "/",
		Stdout:     logf,
		Stderr:     logf,
		ExtraFiles: []*os.File{fromUpR, toUpW},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET,
			Setsid:     true,
		},
	}
	err = cmd.Start()
	fromUpR.Close()
	toUpW.Close()
	logf.Close()
	if err != nil {
		return fmt.Errorf("starting the host's init: %w", err)
	}
	pid := cmd.Process.Pid
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	l.mu.Lock()
	l.children[h.Name] = done
	l.mu.Unlock()
	start, err := startTime(pid)
	if err != nil {
		return fmt.Errorf("reading the init's start time: %w", err)
	}
	if err := l.st.update(func(s *State) { s.Hosts[i].Init = Proc{PID: pid, StartTime: start} }); err != nil {
		return err
	}

	status := bufio.NewReader(toUpR)
	readStatus := func(want string, timeout time.Duration) (string, error) {
		_ = toUpR.SetReadDeadline(time.Now().Add(timeout))
		line, err := status.ReadString('\n')
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		line = strings.TrimSpace(line)
		if msg, ok := strings.CutPrefix(line, "error "); ok {
			return "", fmt.Errorf("init: %s (log: %s)", msg, h.Log)
		}
		if err != nil || !strings.HasPrefix(line, want) {
			return "", fmt.Errorf("init did not report %q (%v); log %s: %s", want, err, h.Log, logTail(h.Log))
		}
		return line, nil
	}
	if _, err := readStatus("mounted", initTimeout); err != nil {
		return err
	}

	ns := netnsName(l.st.Name, h.Name)
	if err := l.st.update(func(s *State) {
		s.Hosts[i].Netns = ns
		s.Mounts = append(s.Mounts, filepath.Join("/run/netns", ns))
	}); err != nil {
		return err
	}
	l.ipMu.Lock()
	err = run(ctx, "ip", "netns", "attach", ns, strconv.Itoa(pid))
	l.ipMu.Unlock()
	if err != nil {
		return fmt.Errorf("naming the host's network namespace: %w", err)
	}
	veth := vethName(l.st.Name, h.Index)
	if err := l.st.update(func(s *State) { s.Hosts[i].Veth = veth }); err != nil {
		return err
	}
	bits := netip.MustParsePrefix(l.st.Subnet).Bits()
	for _, argv := range [][]string{
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "address", hostMAC(l.st.Name, h.Index), "netns", ns},
		{"ip", "link", "set", veth, "master", l.st.Bridge, "up"},
		{"ip", "-n", ns, "addr", "add", h.Address + "/" + strconv.Itoa(bits), "dev", "eth0"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
	} {
		if err := run(ctx, argv...); err != nil {
			return fmt.Errorf("wiring the host's network: %w", err)
		}
	}
	if _, err := fromUpW.WriteString("go\n"); err != nil {
		return fmt.Errorf("init went away: log %s: %s", h.Log, logTail(h.Log))
	}
	if _, err := readStatus("sshd ", initTimeout); err != nil {
		return err
	}
	if err := waitSSH(ctx, h, done); err != nil {
		return err
	}
	l.logf("%s: up (%s, init pid %d)", h.Name, h.Address, pid)
	return nil
}

// waitSSH waits until the host's sshd sends its banner through the bridge.
func waitSSH(ctx context.Context, h HostState, initDone <-chan struct{}) error {
	addr := net.JoinHostPort(h.Address, strconv.Itoa(h.Port))
	deadline := time.Now().Add(sshTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if lastErr = sshBanner(ctx, addr, time.Second); lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-initDone:
			return fmt.Errorf("init exited; log %s: %s", h.Log, logTail(h.Log))
		case <-time.After(25 * time.Millisecond):
		}
	}
	return fmt.Errorf("sshd does not answer on %s: %w; log %s: %s", addr, lastErr, h.Log, logTail(h.Log))
}

func sshBanner(ctx context.Context, addr string, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		return fmt.Errorf("reading the SSH banner: %w", err)
	}
	if string(buf) != "SSH-" {
		return fmt.Errorf("%s does not speak SSH", addr)
	}
	// Say who we are, so that sshd logs a closed probe rather than a reset.
	_, _ = c.Write([]byte("SSH-2.0-nixmesh-lab-probe\r\n"))
	return nil
}

func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := command.Lines(string(b))
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	if len(lines) == 0 {
		return "(empty log)"
	}
	return strings.Join(lines, " | ")
}

// Open finds a lab by its state.
func Open(name string) (*Lab, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	st, err := loadState(filepath.Join(RunBase, name, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w %q (no %s)", ErrNotFound, name, filepath.Join(RunBase, name, "state.json"))
	}
	if err != nil {
		return nil, err
	}
	if st.Name != name {
		return nil, fmt.Errorf("%s names lab %q", st.path, st.Name)
	}
	return &Lab{st: st, children: map[string]chan struct{}{}}, nil
}

// List returns the names of the labs that have state, sorted.
func List() ([]string, error) {
	ents, err := os.ReadDir(RunBase)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(RunBase, e.Name(), "state.json")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Down takes the lab called name down (see Lab.Down). A lab without state is not an
// error: only leftover host directories (after a reboot emptied /run) are removed.
func Down(ctx context.Context, name string) error {
	if os.Geteuid() != 0 {
		return ErrNeedsRoot
	}
	l, err := Open(name)
	if errors.Is(err, ErrNotFound) {
		// Nothing is made before state.json exists; a run directory without it is empty.
		return errors.Join(removeStaleData(filepath.Join(DataDir, name), name),
			os.RemoveAll(filepath.Join(RunBase, name)))
	}
	if err != nil {
		return err
	}
	return l.Down(ctx)
}

// Name is the lab's name.
func (l *Lab) Name() string { return l.st.Name }

// Subnet is the lab's subnet.
func (l *Lab) Subnet() netip.Prefix { return netip.MustParsePrefix(l.st.Subnet) }

// OperatorAddress is the bridge's address in the root namespace.
func (l *Lab) OperatorAddress() netip.Addr { return netip.MustParseAddr(l.st.Operator) }

// Bridge is the name of the lab's bridge.
func (l *Lab) Bridge() string { return l.st.Bridge }

// Ready reports whether Up completed.
func (l *Lab) Ready() bool { return l.st.Ready }

// RunDir is the lab's state directory.
func (l *Lab) RunDir() string { return l.st.RunDir }

// OperatorKey is the path of the operator's private key (the public key is at path.pub);
// root on every host accepts it.
func (l *Lab) OperatorKey() string { return filepath.Join(l.st.RunDir, "id_ed25519") }

// KnownHostsFile is the operator's known_hosts file with every host's key.
func (l *Lab) KnownHostsFile() string { return filepath.Join(l.st.RunDir, "known_hosts") }

// Hosts returns the lab's hosts in order.
func (l *Lab) Hosts() []Host {
	var hs []Host
	for _, h := range l.st.snapshot() {
		hs = append(hs, Host{Name: h.Name, Address: netip.MustParseAddr(h.Address), Port: h.Port, HostKey: h.HostKey})
	}
	return hs
}

// Host returns one host.
func (l *Lab) Host(name string) (Host, bool) {
	for _, h := range l.Hosts() {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

func (l *Lab) hostState(name string) (HostState, error) {
	for _, h := range l.st.snapshot() {
		if h.Name == name {
			return h, nil
		}
	}
	var names []string
	for _, h := range l.st.snapshot() {
		names = append(names, h.Name)
	}
	return HostState{}, fmt.Errorf("lab %q has no host %q (hosts: %s)", l.st.Name, name, strings.Join(names, ", "))
}

// InitPID returns the PID (in the root namespace) of a host's init, 0 if unknown.
func (l *Lab) InitPID(host string) int {
	h, err := l.hostState(host)
	if err != nil {
		return 0
	}
	return h.Init.PID
}

// Command returns a command that runs argv inside all of the host's namespaces (as root,
// in /, with a clean environment: PATH, HOME=/root, LANG); add to Env as needed.
func (l *Lab) Command(host string, argv ...string) (command.Cmd, error) {
	h, err := l.hostState(host)
	if err != nil {
		return command.Cmd{}, err
	}
	if !h.Init.alive() {
		return command.Cmd{}, fmt.Errorf("lab host %s: its init (pid %d) is not running", host, h.Init.PID)
	}
	if len(argv) == 0 {
		return command.Cmd{}, errors.New("lab: empty command")
	}
	full := append([]string{"nsenter", "--target", strconv.Itoa(h.Init.PID), "--all", "--"}, argv...)
	return command.Cmd{Argv: full, Env: []string{hostPathEnv, "HOME=/root", "USER=root", "LOGNAME=root", "LANG=C.UTF-8"}}, nil
}

// Exec runs argv inside the host's namespaces (see Command) and returns its stdout. A
// failure is a *command.ProcessError with the exit code and stderr.
func (l *Lab) Exec(ctx context.Context, host string, argv ...string) ([]byte, error) {
	c, err := l.Command(host, argv...)
	if err != nil {
		return nil, err
	}
	return command.Output(ctx, c)
}

// SSHArgs returns the system ssh's argv to reach root on a host with the lab's key and
// known_hosts, running remote (a remote command) if given.
func (l *Lab) SSHArgs(host string, remote ...string) ([]string, error) {
	h, err := l.hostState(host)
	if err != nil {
		return nil, err
	}
	argv := []string{"ssh",
		"-i", l.OperatorKey(),
		"-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + l.KnownHostsFile(),
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes",
	}
	if h.Port != 22 {
		argv = append(argv, "-p", strconv.Itoa(h.Port))
	}
	argv = append(argv, "root@"+h.Address)
	return append(argv, remote...), nil
}

// HostStatus is a host's health as `lab status` shows it.
type HostStatus struct {
	Host
	InitPID   int
	InitAlive bool  // the recorded init is still running
	SSHDAlive bool  // init has an sshd child
	SSH       error // nil when `ssh root@host true` works with the lab's key
}

// Status checks every host: its init, its sshd and a real SSH login, in parallel.
func (l *Lab) Status(ctx context.Context) []HostStatus {
	hs := l.st.snapshot()
	out := make([]HostStatus, len(hs))
	var g errgroup.Group
	g.SetLimit(8)
	for i, h := range hs {
		g.Go(func() error {
			s := HostStatus{Host: l.Hosts()[i], InitPID: h.Init.PID, InitAlive: h.Init.alive()}
			if s.InitAlive {
				s.SSHDAlive = hasChild(h.Init.PID, "sshd")
			}
			argv, _ := l.SSHArgs(h.Name, "true")
			argv = append(argv[:1], append([]string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=5"}, argv[1:]...)...)
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			s.SSH = run(cctx, argv...)
			out[i] = s
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func hasChild(pid int, comm string) bool {
	for _, child := range children(pid) {
		if c, _, _, err := procStat(child); err == nil && c == comm {
			return true
		}
	}
	return false
}

// children lists a process's children: /proc/PID/task/TID/children of every thread
// (each thread lists the children it forked).
func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if child, err := strconv.Atoi(f); err == nil {
				out = append(out, child)
			}
		}
	}
	return out
}

// Down removes everything the lab made, whatever state it is in: kills the hosts' inits
// (only if they are still the processes that were started: PID and start time), which
// takes every process of the hosts with them; deletes the network namespaces, the veths
// and the bridge; removes the host directories (with their /nix) and the state. Errors do
// not stop it; state.json stays until everything else is gone, so Down can be rerun.
func (l *Lab) Down(ctx context.Context) error {
	if os.Geteuid() != 0 {
		return ErrNeedsRoot
	}
	return l.teardown(ctx)
}

func (l *Lab) teardown(ctx context.Context) error {
	var errs []error
	hosts := l.st.snapshot()
	for _, h := range hosts {
		if h.Init.alive() && isInit(h.Init.PID) {
			_ = unix.Kill(h.Init.PID, unix.SIGKILL)
		}
	}
	for _, h := range hosts {
		if err := l.waitGone(ctx, h); err != nil {
			errs = append(errs, err)
		}
	}
	for _, h := range hosts {
		if h.Netns == "" {
			continue
		}
		p := filepath.Join("/run/netns", h.Netns)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := run(ctx, "ip", "netns", "delete", h.Netns); err != nil {
			_ = unix.Unmount(p, unix.MNT_DETACH)
			if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("deleting netns %s: %w", h.Netns, err))
			}
		}
	}
	var links []string
	for _, h := range hosts {
		if h.Veth != "" {
			links = append(links, h.Veth)
		}
	}
	if l.st.Bridge != "" {
		links = append(links, l.st.Bridge)
	}
	for _, link := range links {
		if linkExists(link) {
			if err := run(ctx, "ip", "link", "delete", link); err != nil && linkExists(link) {
				errs = append(errs, fmt.Errorf("deleting link %s: %w", link, err))
			}
		}
	}
	if err := removeStaleData(l.st.DataDir, l.st.Name); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if err := checkDir(l.st.RunDir, l.st.Name); err != nil {
			errs = append(errs, err)
		} else if err := os.RemoveAll(l.st.RunDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// isInit checks that a process runs a lab init (argv[0]), on top of its start time.
func isInit(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && strings.HasPrefix(string(b), initArgv0+"\x00")
}

// waitGone waits for a host's init to exit (it takes the host's processes with it).
func (l *Lab) waitGone(ctx context.Context, h HostState) error {
	l.mu.Lock()
	done := l.children[h.Name]
	l.mu.Unlock()
	deadline := time.After(10 * time.Second)
	if done != nil {
		select {
		case <-done:
			return nil
		case <-deadline:
			return fmt.Errorf("lab host %s: init (pid %d) did not exit", h.Name, h.Init.PID)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for h.Init.alive() {
		select {
		case <-deadline:
			return fmt.Errorf("lab host %s: init (pid %d) did not exit", h.Name, h.Init.PID)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// removeStaleData removes a lab's host directories, refusing while anything is mounted
// below them in this mount namespace (removing through a mount could reach the machine's
// files).
func removeStaleData(dir, name string) error {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := checkDir(dir, name); err != nil {
		return err
	}
	mounts, err := readMountinfo("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if m.MountPoint == dir || strings.HasPrefix(m.MountPoint, dir+"/") {
			return fmt.Errorf("not removing %s: %s is mounted there", dir, m.MountPoint)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the host directories: %w", err)
	}
	return nil
}
