package deploy

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

func buildRealSystem(t *testing.T, salt string) string {
	t.Helper()
	out, err := command.Output(context.Background(), command.Cmd{
		Argv: []string{"nix-build", "--no-out-link", filepath.Join("testdata", "real-toplevel.nix"), "--argstr", "salt", salt},
		Env:  testutil.NixEnv(),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, processErr(err).Stderr)
	}
	return strings.TrimSpace(string(out))
}

// realHost is one test host ("web", its own store) deployed with the real switcher.
type realHost struct {
	client *testClient
	host   *testHost
	opts   Options
}

func newRealHost(t *testing.T) *realHost {
	t.Helper()
	testutil.RequireCommands(t, "flock", "setsid", "nix-env")
	client := newTestClient(t)
	host := startHost(t, client, true)
	o := Options{SSH: sshOptionsFor(t, client), NixEnv: testutil.NixEnv(), PollInterval: 100 * time.Millisecond}
	o.SSH.DeclaredHostKeys = map[string][]string{"web": {host.HostKeyLine}}
	return &realHost{client: client, host: host, opts: o}
}

// target is the host with system, 20 s success and switch timeouts.
func (r *realHost) target(system string) Target {
	tg := hostTarget(r.host, "web")
	tg.Toplevel, tg.SuccessTimeout, tg.SwitchTimeout = system, 20*time.Second, 20*time.Second
	return tg
}

// TestRunWithRealSwitcher drives nix-modules/scripts/switcher/bin/nixmesh-switch, the switcher every node
// ships: a confirmed switch, a failed activation that rolls back, and a host left as is.
func TestRunWithRealSwitcher(t *testing.T) {
	rh := newRealHost(t)
	client, host, o := rh.client, rh.host, rh.opts
	good, bad := buildRealSystem(t, "good"), buildRealSystem(t, "bad")
	target := func(system string) []Target { return []Target{rh.target(system)} }
	state := func() string {
		return remote(t, client, host, "readlink /var/lib/nixmesh/current-system; readlink -f /nix/var/nix/profiles/system")
	}

	log := &eventLog{}
	o.Events = log.add
	rep, err := Run(context.Background(), o, target(good))
	if err != nil || rep.Hosts[0].Result != ResultOK {
		t.Fatalf("good system: %+v, %v", rep.Hosts[0], err)
	}
	// The real switcher has `wait`, and confirm's answer is final: no status polls.
	if log.hasMessage("web", "polling its status") || !log.hasMessage("web", "state waiting-confirmation") || !log.hasMessage("web", "state success") {
		t.Errorf("events: %+v", log.events)
	}
	o.Events = nil
	if got := state(); got != good+"\n"+good+"\n" {
		t.Fatalf("after the switch: active and profile = %q, want %s twice", got, good)
	}

	rep, err = Run(context.Background(), o, target(bad))
	r := rep.Hosts[0]
	if r.Result != ResultRolledBack || !errors.Is(err, ErrRolledBack) || r.LogCommand == "" {
		t.Fatalf("bad system: %+v, %v", r, err)
	}
	if got := state(); got != good+"\n"+good+"\n" {
		t.Fatalf("after the rollback: active and profile = %q, want %s twice", got, good)
	}

	rep, err = Run(context.Background(), o, target(good))
	if err != nil || rep.Hosts[0].Result != ResultUnchanged {
		t.Fatalf("redeploy: %+v, %v", rep.Hosts[0], err)
	}

	// Confirmed, but making it the boot default fails: the confirmed system keeps running,
	// the boot default stays the previous one, and the host is failed with the
	// bootloader's output (confirm answers with that final state).
	badBoot := buildRealSystem(t, "badboot")
	log = &eventLog{}
	o.Events = log.add
	rep, err = Run(context.Background(), o, target(badBoot))
	r = rep.Hosts[0]
	if r.Result != ResultFailed || err == nil || !strings.Contains(r.Reason, "boot of "+badBoot+" failed") || !strings.Contains(r.Reason, "confirmed and running") {
		t.Fatalf("system whose boot fails: %+v, %v", r, err)
	}
	if !log.hasMessage("web", "state failed") || log.hasMessage("web", "polling its status") {
		t.Errorf("events: %+v", log.events)
	}
	if got := state(); got != badBoot+"\n"+good+"\n" {
		t.Fatalf("after a failed boot of a confirmed switch: active and profile = %q, want %s then %s", got, badBoot, good)
	}
}

// NixOS's exit codes through the engine: 4 rolls back unless the node ignores failing
// units (then ok, with the warning in the table); 100 is ok with "reboot needed".
func TestActivationExitCodesThroughTheEngine(t *testing.T) {
	rh := newRealHost(t)
	o := rh.opts
	good, units, reboot := buildRealSystem(t, "good"), buildRealSystem(t, "units"), buildRealSystem(t, "reboot")
	target := func(system string, ignore bool) []Target {
		tg := rh.target(system)
		tg.IgnoreFailingSystemdUnits = ignore
		return []Target{tg}
	}
	if rep, err := Run(context.Background(), o, target(good, false)); err != nil {
		t.Fatalf("good: %+v, %v", rep.Hosts, err)
	}
	rep, _ := Run(context.Background(), o, target(units, false))
	if r := rep.Hosts[0]; r.Result != ResultRolledBack || !strings.Contains(r.Reason, "exited with code 4") {
		t.Errorf("exit 4: %+v", r)
	}
	rep, err := Run(context.Background(), o, target(units, true))
	if r := rep.Hosts[0]; err != nil || r.Result != ResultOK || !strings.Contains(r.Reason, "warning: units failed to start") {
		t.Errorf("exit 4, ignored: %+v, %v", r, err)
	}
	rep, err = Run(context.Background(), o, target(reboot, false))
	if r := rep.Hosts[0]; err != nil || r.Result != ResultOK || !strings.Contains(r.Reason, "warning: reboot needed") {
		t.Errorf("exit 100: %+v, %v", r, err)
	}
}

// --dry-activate copies the closure and runs the new system's dry-activate on the host,
// switching nothing.
func TestDryActivate(t *testing.T) {
	rh := newRealHost(t)
	client, host, o := rh.client, rh.host, rh.opts
	good, other := buildRealSystem(t, "good"), buildRealSystem(t, "other")
	target := func(system string) []Target { return []Target{rh.target(system)} }
	if _, err := Run(context.Background(), o, target(good)); err != nil {
		t.Fatal(err)
	}
	o.DryActivate = true
	rep, err := Run(context.Background(), o, target(other))
	r := rep.Hosts[0]
	if err != nil || r.Result != ResultWouldApply || !strings.Contains(strings.Join(r.Commands, "\n"), "would activate "+other) {
		t.Fatalf("dry-activate: %+v, %v", r, err)
	}
	if got := strings.TrimSpace(remote(t, client, host, "readlink /var/lib/nixmesh/current-system; test -d "+other+" && echo copied")); got != good+"\ncopied" {
		t.Errorf("after dry-activate: %q, want still %s, with the new closure copied", got, good)
	}
}
