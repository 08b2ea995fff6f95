package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

// A fleet-atomic deploy with the real switcher, one host at a time (--parallel 1, so the
// first host waits for the second without holding its slot): both ready, both confirmed;
// the second one failing, the first one, already activated and waiting, rolls back too.
func TestAtomicDeploy(t *testing.T) {
	testutil.RequireCommands(t, "flock", "setsid", "nix-env")
	client := newTestClient(t)
	a, b := startHost(t, client, true), startHost(t, client, true)
	good, other, bad := buildRealSystem(t, "good"), buildRealSystem(t, "other"), buildRealSystem(t, "bad")
	o := Options{SSH: sshOptionsFor(t, client), NixEnv: testutil.NixEnv(), PollInterval: 100 * time.Millisecond, Parallel: 1}
	o.SSH.DeclaredHostKeys = map[string][]string{"a": {a.HostKeyLine}, "b": {b.HostKeyLine}}
	targets := func(sa, sb string) []Target {
		ta, tb := hostTarget(a, "a"), hostTarget(b, "b")
		ta.Toplevel, tb.Toplevel = sa, sb
		for _, tg := range []*Target{&ta, &tb} {
			tg.SuccessTimeout, tg.SwitchTimeout = 10*time.Second, 30*time.Second
		}
		return []Target{ta, tb}
	}
	active := func(h *testHost) string {
		return strings.TrimSpace(remote(t, client, h, "readlink /var/lib/nixmesh/current-system"))
	}
	// The first deploy only sets the scene.
	if rep, err := Run(context.Background(), o, targets(good, good)); err != nil {
		t.Fatalf("first deploy: %+v, %v", rep, err)
	}

	// Both ready: both confirmed. b takes longer than a's success timeout (10 s: the
	// first lease has to land within it, which took over 3 s on a loaded CI machine) to
	// get ready, so a's wait is held open by the lease.
	o.Atomic = true
	log := &eventLog{}
	o.Events = log.add
	tg := targets(other, other)
	tg[1].HealthChecks = []eval.HealthCheck{{Name: "slow", Kind: "command", Command: "sleep 14", Timeout: 25, Retries: 1}}
	start := time.Now()
	rep, err := Run(context.Background(), o, tg)
	if err != nil || rep.Hosts[0].Result != ResultOK || rep.Hosts[1].Result != ResultOK {
		t.Fatalf("atomic, both good: %+v, %v", rep.Hosts, err)
	}
	if took := time.Since(start); took < 14*time.Second {
		t.Errorf("the deploy took %s; b's check alone takes 14 s: the test proves nothing", took)
	}
	if !log.hasMessage("a", "waiting for the other hosts of the fleet") {
		t.Errorf("a did not wait for b: %+v", log.events)
	}
	if active(a) != other || active(b) != other {
		t.Fatalf("active %s and %s, want %s on both", active(a), active(b), other)
	}

	// b's activation fails: a, activated and waiting, is rejected and rolls back.
	rep, err = Run(context.Background(), o, targets(good, bad))
	ra, rb := rep.Hosts[0], rep.Hosts[1]
	if ra.Result != ResultRolledBack || !strings.Contains(ra.Reason, "fleet-atomic deploy: another host failed (b: rolled-back") {
		t.Errorf("a: %+v, want rolled back because of b", ra)
	}
	if rb.Result != ResultRolledBack || err == nil {
		t.Errorf("b: %+v (%v), want rolled back", rb, err)
	}
	if active(a) != other || active(b) != other {
		t.Errorf("active %s and %s, want both back on %s", active(a), active(b), other)
	}
}
