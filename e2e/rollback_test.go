package e2e

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// hostGenerations is one host of `nixmesh rollback --list --json`.
type hostGenerations struct {
	Host        string `json:"host"`
	Running     string `json:"running"`
	Error       string `json:"error"`
	Generations []struct {
		Number  int    `json:"number"`
		System  string `json:"system"`
		Current bool   `json:"current"`
		Running bool   `json:"running"`
	} `json:"generations"`
}

// current is the profile's current generation (0, "" when none is).
func (h hostGenerations) current() (int, string) {
	for _, g := range h.Generations {
		if g.Current {
			return g.Number, g.System
		}
	}
	return 0, ""
}

// before is the newest generation older than n (0 when none).
func (h hostGenerations) before(n int) int {
	best := 0
	for _, g := range h.Generations {
		if g.Number < n && g.Number > best {
			best = g.Number
		}
	}
	return best
}

// rollbackOnDemand: `nixmesh rollback` on the lab. web gets a new system, then goes back
// to the one before it (its previous generation made current again, the newer kept),
// forward with --to, and a dry run names the generation a second rollback would take;
// gateway, given a broken boot default (--action boot), gets its running system back as
// the boot default, and a rollback to the broken generation does not confirm: the host
// runs and boots what it did. Mistakes (no node, a generation the host lacks, action
// test) change nothing.
func rollbackOnDemand(t *testing.T, w *world, base map[string]string) {
	run := func(module string, args ...string) (int, string) {
		t.Helper()
		code, stdout, stderr := w.nixmesh(t, append(append(append([]string{args[0], "-f", w.deployFile}, args[1:]...), "--"), w.nixArgs(module)...)...)
		return code, stdout + stderr
	}
	list := func(module, node string) hostGenerations {
		t.Helper()
		code, stdout, stderr := w.nixmesh(t, append([]string{"rollback", "--list", "--json", "-f", w.deployFile, node, "--"}, w.nixArgs(module)...)...)
		var hosts []hostGenerations
		if err := json.Unmarshal([]byte(stdout), &hosts); code != 0 || err != nil || len(hosts) != 1 || hosts[0].Error != "" {
			t.Fatalf("rollback --list --json %s: exit %d (%v)\n%s%s", node, code, err, stdout, stderr)
		}
		return hosts[0]
	}
	marker := func(node string) string {
		out, _ := hostExec(ctxOf(t), w.lab, node, nil, "cat", "/etc/e2e-marker")
		return strings.TrimSpace(out)
	}

	p := w.base
	p.Marker = "rolled-forward"
	module := writeVariant(t, w.dir, "rolled-forward", p)
	if code, out := run(module, "deploy", "web"); code != 0 {
		t.Fatalf("deploy web: exit %d\n%s", code, out)
	}
	newWeb := w.currentSystem(t, "web")
	if newWeb == base["web"] || marker("web") != "rolled-forward" {
		t.Fatalf("web runs %s (marker %q) after the deploy, want a new system", newWeb, marker("web"))
	}
	gens := list(module, "web")
	newGen, sys := gens.current()
	baseGen := gens.before(newGen)
	if sys != newWeb || gens.Running != newWeb || baseGen == 0 {
		t.Fatalf("web's generations after the deploy: %+v; want the new system current and running, a generation before it", gens)
	}
	code, out := run(module, "rollback", "--list", "web")
	if code != 0 || !regexpMatch(`(?m)^web +`+strconv.Itoa(newGen)+` .*`+newWeb+` +\(current, running\)$`, out) {
		t.Errorf("rollback --list web: exit %d; want generation %d marked current and running:\n%s", code, newGen, out)
	}

	// Mistakes change nothing.
	before := w.latestSwitch(t, "web")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"rollback"}, 2, "name the nodes to roll back"},
		{[]string{"rollback", "web", "--to", "99999"}, 5, "has no generation 99999"},
		{[]string{"rollback", "web", "--action", "test"}, 2, "want switch or boot"},
	} {
		if code, out := run(module, c.args...); code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s", c.args, code, c.code, c.want, out)
		}
	}
	// A dry run names the switch it would start, and starts none.
	if code, out := run(module, "rollback", "--dry-run", "web"); code != 0 || !strings.Contains(out, "--generation "+strconv.Itoa(baseGen)) {
		t.Errorf("rollback --dry-run web: exit %d, want the start of generation %d:\n%s", code, baseGen, out)
	}
	if w.latestSwitch(t, "web") != before || w.currentSystem(t, "web") != newWeb {
		t.Fatalf("a refused rollback or a dry run switched web")
	}

	// Back: the generation before the current one is current again; the newer one stays.
	if code, out := run(module, "rollback", "web"); code != 0 || !strings.Contains(out, "now on generation "+strconv.Itoa(baseGen)) {
		t.Errorf("rollback web: exit %d, want ok on generation %d:\n%s", code, baseGen, out)
	}
	if got := w.currentSystem(t, "web"); got != base["web"] || marker("web") != "base" {
		t.Errorf("web runs %s (marker %q) after the rollback, want %s", got, marker("web"), base["web"])
	}
	gens = list(module, "web")
	if cur, _ := gens.current(); cur != baseGen || gens.before(newGen+1) != newGen {
		t.Errorf("web's generations after the rollback: %+v; want %d current and %d kept", gens, baseGen, newGen)
	}
	// A second rollback would go further back, not forward again.
	if further := gens.before(baseGen); further > 0 {
		if code, out := run(module, "rollback", "--dry-run", "web"); code != 0 || !strings.Contains(out, "--generation "+strconv.Itoa(further)) {
			t.Errorf("a second rollback's dry run: exit %d, want generation %d:\n%s", code, further, out)
		}
	}
	// Forward again with --to, then back to base for the steps that follow.
	if code, out := run(module, "rollback", "web", "--to", strconv.Itoa(newGen)); code != 0 || w.currentSystem(t, "web") != newWeb {
		t.Errorf("rollback web --to %d: exit %d, web runs %s, want %s:\n%s", newGen, code, w.currentSystem(t, "web"), newWeb, out)
	}
	if code, out := run(module, "rollback", "web", "--to", strconv.Itoa(baseGen)); code != 0 || w.currentSystem(t, "web") != base["web"] {
		t.Fatalf("rollback web --to %d: exit %d\n%s", baseGen, code, out)
	}

	// gateway: a boot default whose activation fails (its zone does not pass
	// nsd-checkzone), set with --action boot, which activates nothing.
	bad := w.base
	bad.BadZoneOn = "gateway"
	badModule := writeVariant(t, w.dir, "bad-boot-default", bad)
	if code, out := run(badModule, "deploy", "gateway", "--action", "boot"); code != 0 {
		t.Fatalf("deploy gateway --action boot: exit %d\n%s", code, out)
	}
	gens = list(module, "gateway")
	badGen, badSys := gens.current()
	if badSys == base["gateway"] || gens.Running != base["gateway"] {
		t.Fatalf("gateway after --action boot: %+v; want the new system current, the old one running", gens)
	}
	// The rollback makes the running system the boot default again.
	if code, out := run(module, "rollback", "gateway"); code != 0 {
		t.Errorf("rollback gateway: exit %d\n%s", code, out)
	}
	gens = list(module, "gateway")
	if cur, sys := gens.current(); cur >= badGen || sys != base["gateway"] || gens.Running != base["gateway"] {
		t.Errorf("gateway after the rollback: %+v; want %s current and running", gens, base["gateway"])
	}
	goodGen, _ := gens.current()
	// The broken generation does not activate: the host goes back by itself.
	code, out = run(module, "rollback", "gateway", "--to", strconv.Itoa(badGen))
	if res := results(out); code != 6 || resultWord(res["gateway"]) != "rolled-back" {
		t.Errorf("rollback gateway --to %d (broken): exit %d, result %q; want 6, rolled-back:\n%s", badGen, code, res["gateway"], out)
	}
	gens = list(module, "gateway")
	if cur, _ := gens.current(); cur != goodGen || gens.Running != base["gateway"] {
		t.Errorf("gateway after the failed rollback: %+v; want generation %d current and %s running", gens, goodGen, base["gateway"])
	}

	// --atomic: gateway's generation does not activate, so web, whatever generation of
	// that number it has (or none), goes back to what it ran too.
	webGens := list(module, "web")
	webGen, _ := webGens.current()
	if webGens.before(badGen+1) != badGen {
		t.Logf("web has no generation %d: the atomic rollback fails at web's check, and no host is sent back by the fleet's decision", badGen)
	}
	code, out = run(module, "rollback", "--atomic", "gateway", "web", "--to", strconv.Itoa(badGen))
	if code == 0 {
		t.Errorf("rollback --atomic gateway web --to %d: exit 0, want a failure\n%s", badGen, out)
	}
	for node, gen := range map[string]int{"gateway": goodGen, "web": webGen} {
		gens := list(module, node)
		if cur, _ := gens.current(); cur != gen || gens.Running != base[node] {
			t.Errorf("%s after the atomic rollback: %+v; want generation %d current and %s running", node, gens, gen, base[node])
		}
	}
	assertNoLock(t, w, "gateway")
	assertNoLock(t, w, "web")
}
