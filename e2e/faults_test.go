package e2e

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startUntilSwitch starts a deploy of module and returns once node's switch has started
// (its id), with the deployer's wait.
func startUntilSwitch(t *testing.T, fd frontDoor, w *world, module, node string) (*exec.Cmd, string, func() run) {
	t.Helper()
	cmd := fd.command(t, w, module)
	lines, wait := startLogged(t, cmd, "  |")
	// The lines end only once the deployer is waited for: wait in the background too.
	ended := make(chan run, 1)
	go func() { ended <- wait() }()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil // closed: the deployer's end comes next
				continue
			}
			if m := switchStartedRe.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "["+node+"]") {
				return cmd, m[1], wait
			}
		case r := <-ended:
			t.Fatalf("the deployer ended (exit %d) without starting %s's switch", r.code, node)
			return nil, "", nil
		}
	}
}

// restoreBase deploys the base variant again: it must work after any fault, and puts
// every host back on its base system for the next step.
func restoreBase(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	t.Helper()
	r := fd.deploy(t, w, baseModule)
	if r.code != 0 {
		t.Fatalf("the deploy after the fault exited %d, want 0", r.code)
	}
	for _, n := range exampleNodes {
		if got := w.currentSystem(t, n); got != base[n] {
			t.Errorf("%s: after the redeploy the current system is %s, want %s", n, got, base[n])
		}
	}
}

// assertNoLock fails when node's switch lock is held.
func assertNoLock(t *testing.T, w *world, node string) {
	t.Helper()
	if out, err := hostExec(ctxOf(t), w.lab, node, nil, "sh", "-c", "readlink /var/lib/nixmesh/switch/lock || true"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("%s: the switch lock is held by %q (%v)", node, strings.TrimSpace(out), err)
	}
}

// The runner is killed (SIGKILL) during the activation: its guard rolls web back, the
// deployer's table says rolled-back.
func faultRunnerKilled(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "runner-killed"
	p.SlowOn = "web"
	_, id, wait := startUntilSwitch(t, fd, w, writeVariant(t, w.dir, "runner-killed", p), "web")
	runner := ""
	for bound := time.Now().Add(30 * time.Second); runner == "" && time.Now().Before(bound); time.Sleep(100 * time.Millisecond) {
		out, _ := hostExec(ctxOf(t), w.lab, "web", nil, "cat", "/var/lib/nixmesh/switch/"+id+"/runner")
		if f := strings.Fields(out); len(f) > 0 {
			runner = f[0]
		}
	}
	if runner == "" {
		t.Fatalf("web: switch %s has no runner record", id)
	}
	mustHostExec(t, w.lab, "web", "kill", "-KILL", runner)
	t.Logf("web: killed the runner (pid %s) of switch %s", runner, id)
	r := wait()
	st := w.waitFinal(t, "web", id, 3*time.Minute)
	if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "guard") {
		t.Errorf("web: switch %s is %q (%s), want rolled-back by the guard", id, st["state"], st["reason"])
	}
	if got := w.currentSystem(t, "web"); got != base["web"] {
		t.Errorf("web: current system %s, want the old %s", got, base["web"])
	}
	if res := results(r.output); resultWord(res["web"]) != "rolled-back" {
		t.Errorf("web: the table says %q, want rolled-back", res["web"])
	}
	if r.code == 0 {
		t.Errorf("the deployer exited 0 although web rolled back")
	}
	assertNoLock(t, w, "web")
	restoreBase(t, fd, w, base, baseModule)
}

// The host crashes (power loss) during its switch, before or after the confirmation. The
// deployer reports it unreachable, bounded in time; after the boot the host runs its old
// system (before) or the new one (after).
func faultCrash(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string, afterConfirmation bool) {
	p := w.base
	p.Marker = "crash-before"
	p.SlowOn = "web"
	if afterConfirmation {
		p.Marker = "crash-after"
		p.SlowOn = ""
	}
	module := writeVariant(t, w.dir, p.Marker, p)
	var id string
	if afterConfirmation {
		r := fd.deploy(t, w, module)
		if r.code != 0 {
			t.Fatalf("deploy exited %d", r.code)
		}
		id = w.latestSwitch(t, "web")
	} else {
		var wait func() run
		begin := time.Now()
		_, id, wait = startUntilSwitch(t, fd, w, module, "web")
		// Crash it while it activates (the variant's activation takes seconds).
		for bound := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			out, _ := hostExec(ctxOf(t), w.lab, "web", nil, "cat", "/var/lib/nixmesh/switch/"+id+"/state")
			if st := strings.TrimSpace(out); st == "activating" || st == "waiting-confirmation" {
				break
			} else if time.Now().After(bound) {
				t.Fatalf("web: switch %s never activated (state %q)", id, st)
			}
		}
		if err := w.lab.Crash(ctxOf(t), "web"); err != nil {
			t.Fatalf("crash: %v", err)
		}
		t.Logf("web: crashed during switch %s", id)
		r := wait()
		took := time.Since(begin)
		// Boot it at once, so that the checks below (and the next steps) find it up.
		out, err := w.lab.Boot(ctxOf(t), "web")
		if err != nil {
			t.Fatalf("boot: %v\n%s", err, out)
		}
		t.Logf("web: booted: %s", strings.TrimSpace(out))
		if took > 150*time.Second {
			t.Errorf("the deploy took %v with web crashed; want it bounded", took)
		}
		res := results(r.output)
		if resultWord(res["web"]) != "failed" || !strings.Contains(res["web"], "unreachable") || !strings.Contains(res["web"], "comes back on") {
			t.Errorf("web: the table says %q, want failed: unreachable, with what it comes back on", res["web"])
		}
		for _, n := range []string{"gateway", "db"} {
			if !contains(fd.resultOK, resultWord(res[n])) {
				t.Errorf("%s: %q, want ok (only web crashed)", n, res[n])
			}
		}
	}
	newSystem := w.switchStatus(t, "web", id)["system"]
	if afterConfirmation {
		if err := w.lab.Crash(ctxOf(t), "web"); err != nil {
			t.Fatalf("crash: %v", err)
		}
		out, err := w.lab.Boot(ctxOf(t), "web")
		if err != nil {
			t.Fatalf("boot: %v\n%s", err, out)
		}
		t.Logf("web: booted: %s", strings.TrimSpace(out))
	}
	want := base["web"]
	if afterConfirmation {
		want = newSystem
	}
	if got := w.currentSystem(t, "web"); got != want {
		t.Errorf("web: after the boot the current system is %s, want %s (confirmed: %v)", got, want, afterConfirmation)
	}
	if got, _ := hostExec(ctxOf(t), w.lab, "web", nil, "cat", "/etc/e2e-marker"); afterConfirmation != (strings.TrimSpace(got) == p.Marker) {
		t.Errorf("web: /etc/e2e-marker is %q after the boot (confirmed: %v)", strings.TrimSpace(got), afterConfirmation)
	}
	st := w.switchStatus(t, "web", id)
	if !afterConfirmation && (st["state"] != "rolled-back" || !strings.Contains(st["reason"], "restarted")) {
		t.Errorf("web: switch %s is %q (%s), want rolled-back by the restart", id, st["state"], st["reason"])
	}
	if afterConfirmation && st["state"] != "success" {
		t.Errorf("web: switch %s is %q, want success", id, st["state"])
	}
	assertNoLock(t, w, "web")
	restoreBase(t, fd, w, base, baseModule)
}

// Ctrl-C (SIGINT) while the hosts are busy: the deployer stops within a few seconds and
// prints its table with every host; nothing is left half-switched.
func faultInterrupted(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "interrupted"
	p.SlowOn = "web"
	cmd, id, wait := startUntilSwitch(t, fd, w, writeVariant(t, w.dir, "interrupted", p), "web")
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	r := wait()
	if took := time.Since(sent); took > 10*time.Second {
		t.Errorf("the deployer took %v to stop after Ctrl-C", took)
	}
	if r.code != 130 {
		t.Errorf("exit code %d after Ctrl-C, want 130", r.code)
	}
	res := results(r.output)
	for _, n := range exampleNodes {
		if res[n] == "" {
			t.Errorf("%s: missing from the table printed after Ctrl-C", n)
		}
	}
	if !strings.Contains(res["web"], "interrupted during switch "+id) || !regexp.MustCompile(`Left mid-switch \(each host finishes its switch, or rolls back by itself[^\n]*: .*web`).MatchString(r.output) {
		t.Errorf("web: %q; want it interrupted during switch %s and listed as left mid-switch, rolling back by itself", res["web"], id)
	}
	st := w.waitFinal(t, "web", id, 3*time.Minute)
	if st["state"] != "rolled-back" {
		t.Errorf("web: switch %s ended %q (%s), want rolled-back (nobody confirmed)", id, st["state"], st["reason"])
	}
	for _, n := range exampleNodes {
		if latest := w.latestSwitch(t, n); latest != "" {
			w.waitFinal(t, n, latest, 3*time.Minute)
		}
		assertNoLock(t, w, n)
	}
	restoreBase(t, fd, w, base, baseModule)
}

// After all the deploys, each host keeps at most `keep` system generations and switch
// directories (the nodes' keepGenerations).
func noLeak(t *testing.T, w *world, keep int) {
	for _, n := range exampleNodes {
		out := mustHostExec(t, w.lab, n, "sh", "-c", "ls -d /nix/var/nix/profiles/system-*-link | wc -l; ls -d /var/lib/nixmesh/switch/[0-9]* | wc -l; cat /var/lib/nixmesh/switch/counter")
		f := strings.Fields(out)
		if len(f) != 3 {
			t.Fatalf("%s: %q", n, out)
		}
		gens, _ := strconv.Atoi(f[0])
		dirs, _ := strconv.Atoi(f[1])
		total, _ := strconv.Atoi(f[2])
		if gens > keep || dirs > keep {
			t.Errorf("%s: %d generations and %d switch directories after %d switches, want at most %d each", n, gens, dirs, total, keep)
		}
		if total <= keep {
			t.Logf("%s: only %d switches ran; nothing to prune yet", n, total)
		}
		assertNoLock(t, w, n)
	}
}
