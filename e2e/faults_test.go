package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

// startUntilSwitch starts a deploy of module and returns once node's switch has started
// (its id), with the deployer's wait.
func startUntilSwitch(t *testing.T, fd frontDoor, w *world, module, node string) (*exec.Cmd, string, func() run) {
	t.Helper()
	return startUntil(t, fd, w, module, node, switchStartedRe)
}

// startUntil starts a deploy of module and returns once a line of node matches re (the
// first submatch, if any), with the deployer's wait.
func startUntil(t *testing.T, fd frontDoor, w *world, module, node string, re *regexp.Regexp) (*exec.Cmd, string, func() run) {
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
			if m := re.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "["+node+"]") {
				if len(m) > 1 {
					return cmd, m[1], wait
				}
				return cmd, "", wait
			}
		case r := <-ended:
			t.Fatalf("the deployer ended (exit %d) before %s printed %q", r.code, node, re)
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
	// Kill it once it activates (the variant's activation takes seconds), so that there
	// is something to roll back.
	runner, state := "", ""
	for bound := time.Now().Add(30 * time.Second); (runner == "" || state != "activating") && time.Now().Before(bound); time.Sleep(100 * time.Millisecond) {
		out, _ := hostExec(ctxOf(t), w.lab, "web", nil, "sh", "-c", "cat /var/lib/nixmesh/switch/"+id+"/state; cat /var/lib/nixmesh/switch/"+id+"/runner")
		if f := strings.Fields(out); len(f) > 1 {
			state, runner = f[0], f[1]
		}
	}
	if runner == "" || state != "activating" {
		t.Fatalf("web: switch %s has no runner record, or never activated (state %q)", id, state)
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
	p.SuccessTimeout = 10 // nobody confirms web: it rolls back 10 s after its activation
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

// variantSystems evaluates the systems a variant gives the nodes (without deploying).
func variantSystems(t *testing.T, w *world, module string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range exampleNodes {
		argv := append([]string{"nix-instantiate", "--eval", "--json", w.deployFile, "-A", "systems." + n + ".outPath"}, w.nixArgs(module)...)
		o, err := command.Output(ctxOf(t), command.Cmd{Argv: argv, Env: testutil.NixEnv()})
		if err != nil {
			t.Fatalf("evaluating %s's system: %v\n%s", n, err, stderrOf(err))
		}
		out[n] = strings.Trim(strings.TrimSpace(string(o)), `"`)
	}
	return out
}

// settled waits for each host's latest switch to end and checks there is no lock; it
// returns each host's current system.
func settled(t *testing.T, w *world) map[string]string {
	t.Helper()
	cur := map[string]string{}
	for _, n := range exampleNodes {
		if latest := w.latestSwitch(t, n); latest != "" {
			w.waitFinal(t, n, latest, 3*time.Minute)
		}
		assertNoLock(t, w, n)
		cur[n] = w.currentSystem(t, n)
	}
	return cur
}

// A host that is down before the deploy fails at connect, at once; the others deploy.
func faultHostDown(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "while-down"
	module := writeVariant(t, w.dir, "while-down", p)
	want := variantSystems(t, w, module)
	if err := w.lab.Crash(ctxOf(t), "web"); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	r := fd.deploy(t, w, module)
	took := time.Since(begin)
	if out, err := w.lab.Boot(ctxOf(t), "web"); err != nil {
		t.Fatalf("boot: %v\n%s", err, out)
	}
	res := results(r.output)
	if r.code == 0 || resultWord(res["web"]) != "failed" || !strings.Contains(res["web"], "connect") {
		t.Errorf("exit %d, web %q; want a failure to connect", r.code, res["web"])
	}
	if took > 120*time.Second {
		t.Errorf("the deploy took %v with web down", took)
	}
	cur := settled(t, w)
	for _, n := range []string{"gateway", "db"} {
		if cur[n] != want[n] {
			t.Errorf("%s: %s, want the new %s", n, cur[n], want[n])
		}
	}
	if cur["web"] != base["web"] {
		t.Errorf("web: %s, want the old %s", cur["web"], base["web"])
	}
	restoreBase(t, fd, w, base, baseModule)
}

// Two deployers of the same deployment at once: every host ends on the new system, both
// succeed (the second start of a system carries on the first one's switch), no lock.
func faultConcurrent(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "concurrent"
	module := writeVariant(t, w.dir, "concurrent", p)
	want := variantSystems(t, w, module)
	_, waitA := startLogged(t, fd.command(t, w, module), "  A|")
	_, waitB := startLogged(t, fd.command(t, w, module), "  B|")
	a, b := waitA(), waitB()
	if a.code != 0 || b.code != 0 {
		t.Errorf("concurrent deploys exited %d and %d, want 0 and 0", a.code, b.code)
	}
	cur := settled(t, w)
	for _, n := range exampleNodes {
		if cur[n] != want[n] {
			t.Errorf("%s: %s, want the new %s", n, cur[n], want[n])
		}
	}
	restoreBase(t, fd, w, base, baseModule)
}

// A secret whose source fails fails its host before anything changes there.
func faultFailingSecret(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "failing-secret"
	p.DeployKeyFile = "/nonexistent/deploy-key"
	module := writeVariant(t, w.dir, "failing-secret", p)
	want := variantSystems(t, w, module)
	before := latestSwitches(t, w)
	r := fd.deploy(t, w, module)
	res := results(r.output)
	if r.code == 0 || resultWord(res["gateway"]) != "failed" || !strings.Contains(res["gateway"], "nothing was changed") {
		t.Errorf("exit %d, gateway %q; want gateway failed with nothing changed", r.code, res["gateway"])
	}
	cur := settled(t, w)
	if cur["gateway"] != base["gateway"] || w.latestSwitch(t, "gateway") != before["gateway"] {
		t.Errorf("gateway: %s (latest switch %s, before %s), want untouched on %s", cur["gateway"], w.latestSwitch(t, "gateway"), before["gateway"], base["gateway"])
	}
	for _, n := range []string{"web", "db"} {
		if cur[n] != want[n] {
			t.Errorf("%s: %s, want the new %s", n, cur[n], want[n])
		}
	}
	restoreBase(t, fd, w, base, baseModule)
}

// The deployer killed during the copy: every host ends on its old or its new system.
func faultKilledCopy(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "killed-copy"
	module := writeVariant(t, w.dir, "killed-copy", p)
	want := variantSystems(t, w, module)
	cmd, _, wait := startUntil(t, fd, w, module, "web", regexp.MustCompile(`copy: `))
	killSession(cmd.Process.Pid)
	wait()
	cur := settled(t, w)
	for _, n := range exampleNodes {
		if cur[n] != base[n] && cur[n] != want[n] {
			t.Errorf("%s: %s, neither the old %s nor the new %s", n, cur[n], base[n], want[n])
		}
	}
	restoreBase(t, fd, w, base, baseModule)
}

// The deployer crashes mid-switch and the operator deploys the same again at once: the
// host carries on the pending switch and the new deployer confirms it (not "busy").
func faultRedeployAfterCrash(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "redeploy-after-crash"
	p.SlowOn = "web"
	module := writeVariant(t, w.dir, "redeploy-after-crash", p)
	want := variantSystems(t, w, module)
	cmd, id, wait := startUntilSwitch(t, fd, w, module, "web")
	killSession(cmd.Process.Pid)
	wait()
	t.Logf("killed the deployer right after web's switch %s started; deploying again", id)
	r := fd.deploy(t, w, module)
	if r.code != 0 {
		t.Errorf("the redeploy exited %d, want 0", r.code)
	}
	st := w.waitFinal(t, "web", id, 3*time.Minute)
	if st["state"] != "success" || st["confirmed-by"] == "" {
		t.Errorf("web: the pending switch %s ended %q (%s), want success, confirmed by the redeploy", id, st["state"], st["reason"])
	}
	if !strings.Contains(w.switchLog(t, "web", id), "carried on by a new start") {
		t.Errorf("web: switch %s was not carried on:\n%s", id, w.switchLog(t, "web", id))
	}
	cur := settled(t, w)
	for _, n := range exampleNodes {
		if cur[n] != want[n] {
			t.Errorf("%s: %s, want the new %s", n, cur[n], want[n])
		}
	}
	restoreBase(t, fd, w, base, baseModule)
}

// web's host key changes (a reinstalled host, or a man in the middle): web is refused
// before anything is sent, the others deploy.
func faultChangedHostKey(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "changed-host-key"
	module := writeVariant(t, w.dir, "changed-host-key", p)
	want := variantSystems(t, w, module)
	key := "/etc/ssh/ssh_host_ed25519_key"
	mustHostExec(t, w.lab, "web", "sh", "-c", "cp "+key+" "+key+".e2e && cp "+key+".pub "+key+".pub.e2e && rm -f "+key+" "+key+".pub && ssh-keygen -q -t ed25519 -N '' -f "+key)
	restored := false
	restore := func() {
		if !restored {
			restored = true
			mustHostExec(t, w.lab, "web", "sh", "-c", "mv -f "+key+".e2e "+key+" && mv -f "+key+".pub.e2e "+key+".pub")
		}
	}
	defer restore()
	before := latestSwitches(t, w)
	r := fd.deploy(t, w, module)
	res := results(r.output)
	if r.code == 0 || resultWord(res["web"]) != "failed" || !strings.Contains(strings.ToLower(res["web"]), "host key") {
		t.Errorf("exit %d, web %q; want web refused for its host key", r.code, res["web"])
	}
	if w.latestSwitch(t, "web") != before["web"] {
		t.Errorf("web: a switch started on a host whose key changed")
	}
	cur := settled(t, w)
	if cur["web"] != base["web"] {
		t.Errorf("web: %s, want untouched on %s", cur["web"], base["web"])
	}
	for _, n := range []string{"gateway", "db"} {
		if cur[n] != want[n] {
			t.Errorf("%s: %s, want the new %s", n, cur[n], want[n])
		}
	}
	restore()
	restoreBase(t, fd, w, base, baseModule)
}

// gateway's WireGuard key declared wrong: web and db (whose only peer it is) cannot
// handshake any more, so their default health check fails and each rolls back at once;
// gateway's own system does not change.
func faultVPNHandshake(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.WrongVPNKeyOn = "gateway"
	// The feature's check, tuned like any other (default: 8 attempts 2 s apart).
	p.VPNCheck = &vpnCheck{Retries: 3, Interval: 1}
	module := writeVariant(t, w.dir, "wrong-vpn-key", p)
	r := fd.deploy(t, w, module)
	res := results(r.output)
	if r.code != 6 {
		t.Errorf("exit %d, want 6 (rolled back)", r.code)
	}
	for _, n := range []string{"web", "db"} {
		if resultWord(res[n]) != "rolled-back" || !strings.Contains(res[n], "health check vpn-backbone failed") || !strings.Contains(res[n], "(3 attempts)") {
			t.Errorf("%s: %q, want rolled back by its vpn-backbone check after its 3 attempts", n, res[n])
		}
		// The message names the peer by its node, and what to look at.
		if !strings.Contains(res[n], "gateway (handshake: never)") || !strings.Contains(res[n], "not deployed yet") {
			t.Errorf("%s: %q does not name gateway as the peer that never handshook", n, res[n])
		}
	}
	if w := resultWord(res["gateway"]); w != "unchanged" {
		t.Errorf("gateway: %q, want unchanged (its own system does not change)", res["gateway"])
	}
	cur := settled(t, w)
	for _, n := range exampleNodes {
		if cur[n] != base[n] {
			t.Errorf("%s: %s, want back on %s", n, cur[n], base[n])
		}
	}
	restoreBase(t, fd, w, base, baseModule)
}

// --atomic with db's activation failing (a broken zone): gateway and web, activated and
// healthy, wait for db and roll back with it; every host ends on its old system.
func faultAtomic(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "atomic"
	p.BadZoneOn = "db"
	module := writeVariant(t, w.dir, "atomic", p)
	w.flags = []string{"--atomic"}
	r := fd.deploy(t, w, module)
	w.flags = nil
	res := results(r.output)
	if r.code != 6 && r.code != 5 {
		t.Errorf("exit %d, want 5 or 6", r.code)
	}
	if resultWord(res["db"]) != "rolled-back" {
		t.Errorf("db: %q, want rolled back (its activation failed)", res["db"])
	}
	for _, n := range []string{"gateway", "web"} {
		if resultWord(res[n]) != "rolled-back" || !strings.Contains(res[n], "fleet-atomic deploy: another host failed (db:") {
			t.Errorf("%s: %q, want rolled back because db failed", n, res[n])
		}
	}
	cur := settled(t, w)
	for _, n := range exampleNodes {
		if cur[n] != base[n] {
			t.Errorf("%s: %s, want back on its old %s", n, cur[n], base[n])
		}
	}
	restoreBase(t, fd, w, base, baseModule)
}

// A secret changed by a deploy whose activation then fails: the host rolls back and has
// its old secret back (gateway's deploy key), not the new one.
func faultSecretRestored(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "secret-restored"
	p.BadZoneOn = "gateway"
	newKey, _ := keygen(t, filepath.Join(w.dir, "keys"), "deploy-new", "deploy@gateway")
	p.DeployKeyFile = newKey
	before := mustHostExec(t, w.lab, "gateway", "sha256sum", "/root/.ssh/id_ed25519")
	r := fd.deploy(t, w, writeVariant(t, w.dir, "secret-restored", p))
	if res := results(r.output); resultWord(res["gateway"]) != "rolled-back" {
		t.Fatalf("gateway: %q, want rolled back (its zone is broken)", res["gateway"])
	}
	settled(t, w)
	if after := mustHostExec(t, w.lab, "gateway", "sha256sum", "/root/.ssh/id_ed25519"); after != before {
		t.Errorf("gateway's deploy key after the rollback: %s, want the old one %s", after, before)
	}
	if out, _ := hostExec(ctxOf(t), w.lab, "gateway", nil, "sh", "-c", "ls -A /root/.ssh | grep nixmesh-prev; true"); strings.TrimSpace(out) != "" {
		t.Errorf("a kept copy was left behind: %s", out)
	}
	restoreBase(t, fd, w, base, baseModule)
}

// substituteOnTarget: web is configured with a binary cache (a file:// store the lab host
// sees) that holds its new system's closure, and fetches it from there; the deployer
// copies nothing to web, while gateway, without the option, gets its paths from the
// deployer as usual.
func substituteOnTarget(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	p := w.base
	p.Marker = "substitute"
	p.SubstituteOn = "web"
	module := writeVariant(t, w.dir, "substitute", p)
	argv := append([]string{"nix-build", "--no-out-link", w.deployFile, "-A", "systems.web"}, w.nixArgs(module)...)
	out, err := command.Output(ctxOf(t), command.Cmd{Argv: argv, Env: testutil.NixEnv()})
	if err != nil {
		t.Fatalf("building web's system: %v\n%s", err, stderrOf(err))
	}
	system := strings.TrimSpace(string(out))
	// The cache: under /opt, which the lab hosts share with this machine (their /tmp is
	// their own).
	if err := os.MkdirAll("/opt", 0o755); err != nil {
		t.Fatal(err)
	}
	cache, err := os.MkdirTemp("/opt", "nixmesh-e2e-cache-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(cache) })
	if _, err := command.Output(ctxOf(t), command.Cmd{Argv: []string{"nix", "copy", "--to", "file://" + cache, system}, Env: testutil.NixEnv()}); err != nil {
		t.Fatalf("nix copy to the cache: %v\n%s", err, stderrOf(err))
	}
	defer hostNixConf(t, w, "web", "substituters = file://"+cache+"\nrequire-sigs = false\n")()

	r := fd.deploy(t, w, module)
	res := results(r.output)
	if r.code != 0 {
		t.Errorf("exit %d, want 0", r.code)
	}
	if resultWord(res["web"]) != "ok" || strings.Contains(res["web"], "copied") {
		t.Errorf("web: %q, want ok with nothing copied from the deployer", res["web"])
	}
	if !strings.Contains(r.output, "the host fetched") {
		t.Errorf("the output does not say what the host fetched itself")
	}
	if resultWord(res["gateway"]) != "ok" || !strings.Contains(res["gateway"], "copied") {
		t.Errorf("gateway: %q, want ok with paths copied from the deployer", res["gateway"])
	}
	if got := w.currentSystem(t, "web"); got != system {
		t.Errorf("web runs %s, want %s", got, system)
	}
	restoreBase(t, fd, w, base, baseModule)
}

// buildOnTarget (nixmesh deploy; ./result is built with its systems): web's system is
// built by web from the copied derivations; this machine never builds it.
func buildOnTarget(t *testing.T, fd frontDoor, w *world, base map[string]string, baseModule string) {
	if fd.name != "FrontDoor2" {
		t.Skip("./result is built with its systems, so it copies them: buildOnTarget is nixmesh deploy's")
	}
	p := w.base
	p.Marker = "built-on-host"
	p.BuildOn = "web"
	module := writeVariant(t, w.dir, "build-on-target", p)
	want := variantSystems(t, w, module)
	// The host's Nix asks no binary cache (its default would be cache.nixos.org); it
	// builds in its sandbox as its own nixbld users, whose uids the lab made its own: a
	// build on this machine (the other door's) kills its own nixbld1's processes, not
	// the host's.
	defer hostNixConf(t, w, "web", "substituters =\n")()
	r := fd.deploy(t, w, module)
	res := results(r.output)
	if r.code != 0 || resultWord(res["web"]) != "ok" || !strings.Contains(r.output, "built on the host: "+want["web"]) {
		t.Errorf("exit %d, web %q; want ok, built on the host", r.code, res["web"])
	}
	if got := w.currentSystem(t, "web"); got != want["web"] {
		t.Errorf("web runs %s, want %s", got, want["web"])
	}
	if _, err := command.Output(ctxOf(t), command.Cmd{Argv: []string{"nix-store", "--check-validity", want["web"]}, Env: testutil.NixEnv()}); err == nil {
		t.Errorf("web's system %s was built on this machine", want["web"])
	}
	restoreBase(t, fd, w, base, baseModule)
}

// remoteBuilder (nixmesh build; the same flags work for deploy): with --builders naming
// the lab host gateway and --max-jobs 0, web's new system is built by gateway (Nix's
// remote build over SSH) and copied back here; gateway's store holds it.
func remoteBuilder(t *testing.T, fd frontDoor, w *world) {
	if fd.name != "FrontDoor2" {
		t.Skip("--builders is a flag of nixmesh build and deploy")
	}
	p := w.base
	p.Marker = "built-by-a-remote-builder"
	module := writeVariant(t, w.dir, "remote-builder", p)
	want := variantSystems(t, w, module)
	if _, err := command.Output(ctxOf(t), command.Cmd{Argv: []string{"nix-store", "--check-validity", want["web"]}, Env: testutil.NixEnv()}); err == nil {
		t.Fatalf("web's system %s is built already; the step needs a new one", want["web"])
	}
	// The builder asks no binary cache (its default would be cache.nixos.org).
	defer hostNixConf(t, w, "gateway", "substituters =\n")()
	gw := w.host(t, "gateway")
	builders := fmt.Sprintf("ssh://root@%s %s", gw.Address, "x86_64-linux")
	args := append([]string{"build", "web", "-f", w.deployFile, "--builders", builders, "--max-jobs", "0", "--"}, w.nixArgs(module)...)
	code, stdout, stderr := w.nixmesh(t, args...)
	if code != 0 || !strings.Contains(stdout, "web\t"+want["web"]) {
		t.Fatalf("exit %d; want web built at %s\nstdout: %s\nstderr: %s", code, want["web"], stdout, stderr)
	}
	if out, err := hostExec(ctxOf(t), w.lab, "gateway", nil, "nix-store", "--check-validity", want["web"]); err != nil {
		t.Errorf("gateway's store lacks %s, so it did not build it: %v %s", want["web"], err, out)
	}
	// And here: the builder sent it back.
	if _, err := command.Output(ctxOf(t), command.Cmd{Argv: []string{"nix-store", "--check-validity", want["web"]}, Env: testutil.NixEnv()}); err != nil {
		t.Errorf("%s is not in this machine's store after the remote build: %v", want["web"], err)
	}
}

// hostNixConf gives a lab host an /etc/nix/nix.conf for a step; the returned function
// puts back what was there.
func hostNixConf(t *testing.T, w *world, node, conf string) func() {
	t.Helper()
	mustHostExec(t, w.lab, node, "sh", "-c", `mkdir -p /etc/nix && { [ ! -e /etc/nix/nix.conf ] || mv /etc/nix/nix.conf /etc/nix/nix.conf.e2e; } && printf %s "$1" > /etc/nix/nix.conf`, "sh", conf)
	return func() {
		mustHostExec(t, w.lab, node, "sh", "-c", `rm -f /etc/nix/nix.conf; [ ! -e /etc/nix/nix.conf.e2e ] || mv /etc/nix/nix.conf.e2e /etc/nix/nix.conf`)
	}
}
