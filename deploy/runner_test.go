package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// fleet is a set of test hosts, each with its own store, and a system whose fake
// switcher logs into ctl.
type fleet struct {
	client *testClient
	hosts  []*testHost
	ctl    string
	system string
}

func newFleet(t *testing.T, n int) *fleet {
	t.Helper()
	f := &fleet{client: newTestClient(t), ctl: t.TempDir()}
	for i := 0; i < n; i++ {
		f.hosts = append(f.hosts, startHost(t, f.client, true))
	}
	f.system = buildSystem(t, f.ctl, "")
	return f
}

func (f *fleet) setMode(t *testing.T, h *testHost, mode string) {
	t.Helper()
	name := "mode"
	if h != nil {
		name += "." + strconv.Itoa(h.Port)
	}
	if err := os.WriteFile(filepath.Join(f.ctl, name), []byte(mode+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fleet) options(t *testing.T, log *eventLog) Options {
	o := Options{
		SSH:          sshOptionsFor(t, f.client),
		NixEnv:       testutil.NixEnv(),
		PollInterval: 20 * time.Millisecond,
		Events:       log.add,
	}
	o.SSH.DeclaredHostKeys = map[string][]string{}
	for i, h := range f.hosts {
		o.SSH.DeclaredHostKeys[hostName(i)] = []string{h.HostKeyLine}
	}
	return o
}

func hostName(i int) string { return fmt.Sprintf("host%d", i) }

func (f *fleet) targets() []Target {
	var ts []Target
	for i, h := range f.hosts {
		tg := hostTarget(h, hostName(i))
		tg.Toplevel = f.system
		tg.SwitchTimeout, tg.SuccessTimeout = 10*time.Second, 10*time.Second
		ts = append(ts, tg)
	}
	return ts
}

func (f *fleet) connOf(t *testing.T, h *testHost, which string) string {
	b, err := os.ReadFile(filepath.Join(f.ctl, which+"conn."+strconv.Itoa(h.Port)))
	if err != nil {
		t.Fatalf("no %s connection recorded: %v", which, err)
	}
	return strings.TrimSpace(string(b))
}

func TestRunSuccessConfirmsOverNewConnectionThenUnchanged(t *testing.T) {
	f := newFleet(t, 1)
	h := f.hosts[0]
	log := &eventLog{}
	rep, err := Run(context.Background(), f.options(t, log), f.targets())
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Hosts[0]
	if r.Result != ResultOK || r.CopiedPaths != 2 || r.SwitchID != "sw1" || rep.ExitCode() != 0 {
		t.Fatalf("result %+v, exit %d", r, rep.ExitCode())
	}
	if callsFor(t, f.ctl, h, "start") != 1 || callsFor(t, f.ctl, h, "confirm") != 1 {
		t.Fatalf("switcher calls: %q", calls(t, f.ctl))
	}
	// The fake switcher is an older one, without `wait` (it answers with a usage error):
	// asked once with --resting and once without, then polled.
	if callsFor(t, f.ctl, h, "wait") != 2 || callsFor(t, f.ctl, h, "status") == 0 || !log.hasMessage("host0", "polling its status") {
		t.Errorf("no fallback from wait to status polls: %q", calls(t, f.ctl))
	}
	// SSH_CONNECTION is "client-ip client-port server-ip server-port": a different client
	// port means the confirmation came over a new TCP connection.
	start, confirm := strings.Fields(f.connOf(t, h, "start")), strings.Fields(f.connOf(t, h, "confirm"))
	if start[1] == confirm[1] {
		t.Fatalf("confirmation sent over the start's connection (%v)", start)
	}
	for _, c := range calls(t, f.ctl) {
		if strings.HasPrefix(c, strconv.Itoa(h.Port)+" start ") && !strings.Contains(c, "start "+f.system+" --action switch --success-timeout 10 --switch-timeout 10") {
			t.Errorf("start call %q", c)
		}
	}
	if got := remote(t, f.client, h, "readlink /var/lib/nixmesh/current-system"); strings.TrimSpace(got) != f.system {
		t.Fatalf("current system on the host = %q", got)
	}
	for _, p := range []Phase{PhaseConnect, PhaseCheck, PhaseCopy, PhaseActivate, PhaseConfirm} {
		if !log.has("host0", p) {
			t.Errorf("no %s event", p)
		}
	}

	// Second deploy: the cheap check finds the host current; nothing is copied or run.
	log2 := &eventLog{}
	rep, err = Run(context.Background(), f.options(t, log2), f.targets())
	if err != nil || rep.Hosts[0].Result != ResultUnchanged {
		t.Fatalf("second deploy: %+v, %v", rep.Hosts[0], err)
	}
	if log2.has("host0", PhaseCopy) || log2.has("host0", PhaseActivate) {
		t.Error("an unchanged host went on to copy or activate")
	}
	if n := len(calls(t, f.ctl)); n != callsFor(t, f.ctl, h, "start")+callsFor(t, f.ctl, h, "wait")+callsFor(t, f.ctl, h, "status")+callsFor(t, f.ctl, h, "confirm") || callsFor(t, f.ctl, h, "start") != 1 {
		t.Errorf("switcher called again: %q", calls(t, f.ctl))
	}
}

func TestRunOutcomes(t *testing.T) {
	f := newFleet(t, 4)
	f.setMode(t, f.hosts[0], "rollback")
	f.setMode(t, f.hosts[1], "failed")
	f.setMode(t, f.hosts[2], "busy")
	f.setMode(t, f.hosts[3], "hang")
	o := f.options(t, &eventLog{})
	o.DeadlineMargin = time.Millisecond
	ts := f.targets()
	ts[3].SwitchTimeout, ts[3].SuccessTimeout = time.Second, time.Second
	rep, err := Run(context.Background(), o, ts)

	rb := rep.Hosts[0]
	if rb.Result != ResultRolledBack || !errors.Is(rb.Err, ErrRolledBack) || !strings.Contains(rb.Reason, "activation failed: boom") ||
		!strings.Contains(rb.LogCommand, "nixmesh-switch log sw1") {
		t.Errorf("rollback: %+v", rb)
	}
	if callsFor(t, f.ctl, f.hosts[0], "confirm") != 0 {
		t.Error("confirmed a switch that never waited for confirmation")
	}
	if callsFor(t, f.ctl, f.hosts[0], "log") != 1 {
		t.Error("the switch log of the rolled-back host was not read")
	}
	if fl := rep.Hosts[1]; fl.Result != ResultFailed || !errors.Is(fl.Err, ErrSwitchFailed) || !strings.Contains(fl.Reason, "exited 1") {
		t.Errorf("failed: %+v", fl)
	}
	if b := rep.Hosts[2]; b.Result != ResultFailed || !errors.Is(b.Err, ErrSwitchBusy) {
		t.Errorf("busy: %+v", b)
	}
	d := rep.Hosts[3]
	if d.Result != ResultFailed || !errors.Is(d.Err, ErrSwitchDeadline) || !d.MidSwitch || !strings.Contains(d.StatusCommand, "nixmesh-switch status sw1") {
		t.Errorf("deadline: %+v", d)
	}
	var he *HostError
	if !errors.As(err, &he) || !errors.Is(err, ErrRolledBack) || !errors.Is(err, ErrSwitchDeadline) {
		t.Errorf("joined error %v", err)
	}
	if rep.ExitCode() != 5 {
		t.Errorf("exit code %d, want 5", rep.ExitCode())
	}
	only := Report{Hosts: []HostResult{rb, {Result: ResultOK}}}
	if only.ExitCode() != 6 {
		t.Errorf("rolled back only: exit code %d, want 6", only.ExitCode())
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	for _, want := range []string{"host0  rolled-back", "host3  failed", "Left mid-switch", "nixmesh-switch status sw1"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestRunParallelLimit(t *testing.T) {
	f := newFleet(t, 5)
	f.setMode(t, nil, "gate")
	var mu sync.Mutex
	active, maxActive := map[string]bool{}, 0
	log := &eventLog{hook: func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == KindResult {
			delete(active, e.Host)
			return
		}
		active[e.Host] = true
		maxActive = max(maxActive, len(active))
		// Hold every switch until two hosts are in flight at once, so a runner that
		// starts too many is caught with them all running.
		if len(active) == 2 {
			os.WriteFile(filepath.Join(f.ctl, "release"), nil, 0o644)
		}
	}}
	o := f.options(t, log)
	o.Parallel = 2
	rep, err := Run(context.Background(), o, f.targets())
	if err != nil {
		t.Fatal(err)
	}
	if maxActive != 2 {
		t.Fatalf("at most %d hosts ran at once, want exactly 2", maxActive)
	}
	if rep.Count(ResultOK) != 5 {
		t.Fatalf("results %+v", rep.Hosts)
	}
}

func TestRunKeepGoing(t *testing.T) {
	for _, failFast := range []bool{false, true} {
		t.Run(fmt.Sprintf("failFast=%v", failFast), func(t *testing.T) {
			f := newFleet(t, 3)
			f.setMode(t, f.hosts[0], "failed")
			o := f.options(t, &eventLog{})
			o.Parallel = 1
			o.FailFast = failFast
			rep, err := Run(context.Background(), o, f.targets())
			if errors.Is(err, context.Canceled) || (failFast && !errors.Is(err, ErrNotStarted)) {
				t.Errorf("error %v: a host not started after a failure is not an interruption", err)
			}
			if rep.Hosts[0].Result != ResultFailed {
				t.Fatalf("host0: %+v", rep.Hosts[0])
			}
			for i, h := range f.hosts[1:] {
				r := rep.Hosts[i+1]
				if !failFast && r.Result != ResultOK {
					t.Errorf("keep going: %s = %s (%s)", r.Host, r.Result, r.Reason)
				}
				if failFast && (r.Result != ResultCancelled || h.Ran()) {
					t.Errorf("fail fast: %s = %s, contacted %v", r.Host, r.Result, h.Ran())
				}
			}
			if rep.ExitCode() != 5 {
				t.Errorf("exit code %d", rep.ExitCode())
			}
		})
	}
}

func TestRunInterruptLeavesStartedSwitchAlone(t *testing.T) {
	f := newFleet(t, 3)
	f.setMode(t, nil, "hang")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &eventLog{hook: func(e Event) {
		if e.Host == "host0" && e.Message == "state activating" {
			cancel() // Ctrl-C while host0's switch runs
		}
	}}
	o := f.options(t, log)
	o.Parallel = 1
	rep, err := Run(ctx, o, f.targets())
	if !errors.Is(err, ErrInterrupted) || !rep.Interrupted || rep.ExitCode() != 130 {
		t.Fatalf("err %v, interrupted %v, exit %d", err, rep.Interrupted, rep.ExitCode())
	}
	h0 := rep.Hosts[0]
	if h0.Result != ResultCancelled || !h0.MidSwitch || h0.SwitchID != "sw1" || !strings.Contains(h0.StatusCommand, "status sw1") {
		t.Errorf("host0: %+v", h0)
	}
	if callsFor(t, f.ctl, f.hosts[0], "confirm") != 0 {
		t.Error("an interrupted deploy confirmed the switch")
	}
	for i, h := range f.hosts[1:] {
		if r := rep.Hosts[i+1]; r.Result != ResultCancelled || r.MidSwitch || h.Ran() {
			t.Errorf("%s: %s, contacted %v", r.Host, r.Result, h.Ran())
		}
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	if !strings.Contains(table.String(), "Left mid-switch") || !strings.Contains(table.String(), "host0") {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestRunDryRunTouchesNothing(t *testing.T) {
	f := newFleet(t, 1)
	h := f.hosts[0]
	o := f.options(t, &eventLog{})
	o.DryRun = true
	rep, err := Run(context.Background(), o, f.targets())
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Hosts[0]
	if r.Result != ResultWouldApply || r.CopiedPaths != 2 || r.CopiedBytes == 0 {
		t.Fatalf("dry run result %+v", r)
	}
	if len(r.Commands) != 3 || !strings.Contains(r.Commands[0], "nix-store --import") ||
		!strings.Contains(r.Commands[1], f.system+"/bin/nixmesh-switch start "+f.system+" --action switch") ||
		!strings.Contains(r.Commands[2], "nixmesh-switch confirm") {
		t.Fatalf("commands %q", r.Commands)
	}
	if c := calls(t, f.ctl); len(c) != 0 {
		t.Fatalf("the switcher was called in a dry run: %q", c)
	}
	out := remote(t, f.client, h, "nix-store --check-validity --print-invalid "+f.system+"; ls /var/lib/nixmesh 2>&1 || true")
	if !strings.Contains(out, f.system) || !strings.Contains(out, "No such file") {
		t.Fatalf("the dry run changed the host: %q", out)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	if !strings.Contains(table.String(), "would run:") {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestRunSkipsTargetsWithReason(t *testing.T) {
	rep, err := Run(context.Background(), Options{SSH: SSHOptions{AgentSocket: "none"}},
		[]Target{{Name: "web", Hostname: "127.0.0.1", Port: 1, SkipReason: "build failed"}})
	if err != nil || rep.Hosts[0].Result != ResultSkipped || rep.Hosts[0].Reason != "build failed" || rep.ExitCode() != 0 {
		t.Fatalf("%+v, %v", rep, err)
	}
}

// A system built for a platform the host's kernel cannot run is refused at the check,
// before anything is copied or run there; one it runs (its own, or i686 on x86_64) is
// deployed. (Where the kernel does not say, before Linux 6.1, nothing is refused.)
func TestRunRefusesSystemOfAnotherPlatform(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/kernel/arch")
	arch := strings.TrimSpace(string(b))
	foreign := "aarch64-linux"
	if arch == "aarch64" {
		foreign = "x86_64-linux"
	}
	f := newFleet(t, 1)
	targets := f.targets()
	targets[0].Platform = foreign
	log := &eventLog{}
	rep, runErr := Run(context.Background(), f.options(t, log), targets)
	r := rep.Hosts[0]
	if err != nil {
		// The kernel does not say: the platform is not checked.
		if runErr != nil || r.Result != ResultOK {
			t.Fatalf("without /proc/sys/kernel/arch: %+v, %v", r, runErr)
		}
		return
	}
	if r.Result != ResultFailed || r.Err == nil || !strings.Contains(r.Err.Error(), "host0's kernel runs "+arch+", and its system is built for "+foreign) ||
		log.has("host0", PhaseCopy) || r.CopiedPaths != 0 || callsFor(t, f.ctl, f.hosts[0], "start") != 0 {
		t.Fatalf("a %s system on a %s kernel: %+v (copied %d), want it refused before the copy", foreign, arch, r, r.CopiedPaths)
	}
	if !runsOn(nixCPU(arch)+"-linux", arch) {
		t.Fatalf("runsOn refuses the host's own platform (%s)", arch)
	}
	native := nixCPU(arch) + "-linux"
	if arch == "x86_64" {
		native = "i686-linux"
	}
	targets[0].Platform = native
	rep, runErr = Run(context.Background(), f.options(t, &eventLog{}), targets)
	if runErr != nil || rep.Hosts[0].Result != ResultOK {
		t.Fatalf("a %s system on a %s kernel: %+v, %v", native, arch, rep.Hosts[0], runErr)
	}
}

// Before Linux 6.1 there is no /proc/sys/kernel/arch: the check's script asks uname -m
// instead (here the file is hidden under an empty one, in a mount namespace of the
// test's own), so the platform is checked on older kernels too.
func TestCurrentScriptArchWithoutProcFile(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireCommands(t, "unshare", "mount", "uname")
	want, err := exec.Command("uname", "-m").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, hide := range []bool{false, true} {
		script := currentScript
		if hide {
			script = "mount --bind /dev/null /proc/sys/kernel/arch && " + script
		}
		out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("hidden %v: %v\n%s", hide, err, out)
		}
		if got := parseKV(string(out))["arch"]; got != strings.TrimSpace(string(want)) {
			t.Errorf("arch file hidden %v: the script says arch=%q, want %q (uname -m):\n%s", hide, got, strings.TrimSpace(string(want)), out)
		}
	}
}

func TestRunsOn(t *testing.T) {
	for _, c := range []struct {
		platform, arch string
		want           bool
	}{
		{"x86_64-linux", "x86_64", true},
		{"i686-linux", "x86_64", true},
		{"i686-linux", "i586", true},
		{"aarch64-linux", "aarch64", true},
		{"armv7l-linux", "aarch64", true},
		{"powerpc64le-linux", "ppc64le", true},
		{"riscv64-linux", "riscv64", true},
		{"aarch64-linux", "x86_64", false},
		{"x86_64-linux", "aarch64", false},
		{"x86_64-linux", "i686", false},
		{"riscv64-linux", "x86_64", false},
	} {
		if got := runsOn(c.platform, c.arch); got != c.want {
			t.Errorf("runsOn(%q, %q) = %v, want %v", c.platform, c.arch, got, c.want)
		}
	}
}
