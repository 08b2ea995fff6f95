package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
)

// TestEndToEnd deploys examples/lab to a fresh 3-host lab through each front door and
// proves what the issue asks, one subtest each, in order (each builds on the last):
//
//	deploy           the example deploys; every host is on its new system, with its
//	                 secrets (WireGuard keys, the granted users' SSH keys) in place
//	SSHAccess        users reach other hosts exactly as ssh.access grants (strict host keys)
//	WireGuard        two hosts ping each other over their VPN addresses
//	DNS              the primary answers the declared records, from the machine
//	LostAccess       a change that locks the deployer out of one host: it rolls back
//	FailedActivation an activation that fails (a broken zone): rollback, reason shown
//	DeployerKilled   the deployer dies right after a switch started: the host rolls back
//	NoopRedeploy     redeploying without changes starts no switch on any host
//
// Then Parity compares what the two doors ran on the hosts (deploy --trace) in the steps
// whose course does not depend on timing: the same commands, with the same exit codes.
func TestEndToEnd(t *testing.T) {
	require(t)
	traces := t.TempDir() // outlives each door's lab and world
	t.Run("doors", func(t *testing.T) {
		for _, fd := range frontDoors {
			t.Run(fd.name, func(t *testing.T) {
				t.Parallel() // each front door has a lab of its own
				prove(t, fd, filepath.Join(traces, fd.name))
			})
		}
	})
	t.Run("Parity", func(t *testing.T) {
		compareTraces(t, traces, []string{"deploy", "LostAccess", "FailedActivation", "NoopRedeploy"})
	})
}

func prove(t *testing.T, fd frontDoor, traceDir string) {
	w := newWorld(t)
	if err := os.MkdirAll(traceDir, 0o755); err != nil {
		t.Fatal(err)
	}
	baseModule := writeVariant(t, w.dir, "base", w.base)
	plan := w.plan(t, baseModule)
	base := map[string]string{} // node -> its system after the first deploy

	steps := []struct {
		name string
		f    func(t *testing.T)
	}{
		{"deploy", func(t *testing.T) {
			r := fd.deploy(t, w, baseModule)
			if r.code != 0 {
				t.Errorf("deploy exited with %d, want 0", r.code)
			}
			res := results(r.output)
			for _, n := range exampleNodes {
				if !contains(fd.resultOK, resultWord(res[n])) {
					t.Errorf("%s: result %q, want one of %v", n, res[n], fd.resultOK)
				}
				id := w.latestSwitch(t, n)
				st := w.switchStatus(t, n, id)
				if st["state"] != "success" {
					t.Errorf("%s: switch %s is %q (%s), want success; its log:\n%s", n, id, st["state"], st["reason"], w.switchLog(t, n, id))
				}
				base[n] = w.currentSystem(t, n)
				if base[n] != st["system"] {
					t.Errorf("%s: current system %s, want the deployed %s", n, base[n], st["system"])
				}
				if got, _ := hostExec(ctxOf(t), w.lab, n, nil, "cat", "/etc/e2e-marker"); strings.TrimSpace(got) != "base" {
					t.Errorf("%s: /etc/e2e-marker is %q, want base", n, got)
				}
			}
			// The secrets (the VPN's private keys, network.nix; the granted users' SSH keys,
			// testdata/e2e-module.nix) came with the deploy, with their owners and modes.
			for _, sec := range []struct{ node, path, want string }{
				{"gateway", "/var/lib/nixmesh/wireguard/backbone.key", "root root 400"},
				{"web", "/var/lib/nixmesh/wireguard/backbone.key", "root root 400"},
				{"db", "/var/lib/nixmesh/wireguard/backbone.key", "root root 400"},
				{"gateway", "/root/.ssh/id_ed25519", "root root 600"},
				{"db", "/var/lib/dbbackup/.ssh/id_ed25519", "dbbackup users 600"},
			} {
				got, err := hostExec(ctxOf(t), w.lab, sec.node, nil, "stat", "-c", "%U %G %a", sec.path)
				if err != nil || strings.TrimSpace(got) != sec.want {
					t.Errorf("%s: secret %s: %q (%v), want %q", sec.node, sec.path, strings.TrimSpace(got), err, sec.want)
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			// From now on the deployer gets in only through the key the deployment declares
			// for root (/etc/ssh/authorized_keys.d/root), as on a real fleet.
			for _, n := range exampleNodes {
				mustHostExec(t, w.lab, n, "rm", "-f", "/root/.ssh/authorized_keys")
				if out, err := w.dep.ssh(ctxOf(t), w.host(t, n), "true"); err != nil {
					t.Fatalf("%s: the deployer cannot log in with the declared key: %v\n%s%s", n, err, out, stderrOf(err))
				}
			}
		}},

		{"SSHAccess", func(t *testing.T) {
			// root on db has a key of its own that no grant names (db knows gateway's host
			// key through the backup grant, so a refusal is about the key, not the host).
			mustHostExec(t, w.lab, "db", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "/root/.ssh/id_ed25519")
			for _, c := range []struct {
				node, user, target string
				granted            bool
			}{
				{"gateway", "root", "root@web", true},        // ssh.access.gateway.keys.deploy
				{"gateway", "root", "root@db", true},         //
				{"gateway", "root", "root@localhost", true},  // a grant to itself
				{"db", "dbbackup", "operator@gateway", true}, // ssh.access.db.keys.backup
				{"gateway", "root", "operator@web", false},   // the deploy key, another user
				{"db", "dbbackup", "root@gateway", false},    // the backup key, another user
				{"db", "root", "root@gateway", false},        // a key no grant names
			} {
				err := w.sshAs(t, c.node, c.user, c.target)
				switch {
				case c.granted && err != nil:
					t.Errorf("%s@%s: ssh %s: %v\n%s%s", c.user, c.node, c.target, err, stderrOf(err), lockedHint(t, w, c.target))
				case !c.granted && err == nil:
					t.Errorf("%s@%s: ssh %s succeeded; no grant allows it", c.user, c.node, c.target)
				case !c.granted && !strings.Contains(stderrOf(err), "Permission denied"):
					// Refused for the right reason: the host key was fine, the key is not authorized.
					t.Errorf("%s@%s: ssh %s failed, but not with Permission denied: %v\n%s", c.user, c.node, c.target, err, stderrOf(err))
				}
			}
		}},

		{"WireGuard", func(t *testing.T) {
			addr := map[string]string{}
			for _, n := range exampleNodes {
				addr[n] = vpnAddress(t, plan, n)
			}
			for _, pair := range [][2]string{{"gateway", "web"}, {"web", "gateway"}, {"db", "gateway"}} {
				from, to := pair[0], pair[1]
				out, err := hostExec(ctxOf(t), w.lab, from, nil, "ping", "-n", "-c", "1", "-w", "20", addr[to])
				if err != nil {
					t.Errorf("%s: ping %s (%s over wg-backbone): %v\n%s%s", from, addr[to], to, err, out, stderrOf(err))
				}
			}
			// The packets went through WireGuard: gateway completed a handshake with both
			// of its peers (web and db).
			hs := strings.TrimSpace(mustHostExec(t, w.lab, "gateway", "wg", "show", "wg-backbone", "latest-handshakes"))
			lines := strings.Split(hs, "\n")
			if len(lines) != 2 {
				t.Errorf("gateway: wg-backbone has %d peers, want 2 (web, db):\n%s", len(lines), hs)
			}
			for _, line := range lines {
				if f := strings.Fields(line); len(f) != 2 || f[1] == "0" {
					t.Errorf("gateway: no handshake with peer %q", line)
				}
			}
		}},

		{"DNS", func(t *testing.T) {
			primary := w.host(t, "gateway").Address.String()
			records := declaredARecords(t, plan)
			if len(records) == 0 {
				t.Fatal("the plan declares no A records")
			}
			for name, want := range records {
				out, err := command.Output(ctxOf(t), command.Cmd{Argv: []string{
					"dig", "+short", "+time=2", "+tries=3", "@" + primary, name, "A"}})
				if err != nil {
					t.Errorf("dig @%s %s: %v\n%s", primary, name, err, stderrOf(err))
					continue
				}
				if got := strings.TrimSpace(string(out)); got != want {
					t.Errorf("dig @%s %s A = %q, want the declared %q", primary, name, got, want)
				}
			}
		}},

		{"LostAccess", func(t *testing.T) {
			p := w.base
			p.RemoveDeployerOn = "db"
			before := latestSwitches(t, w)
			r := fd.deploy(t, w, writeVariant(t, w.dir, "lost-access", p))
			if r.code != 6 {
				t.Errorf("deploy exited with %d, want 6 (a host rolled back)", r.code)
			}
			res := results(r.output)
			if resultWord(res["db"]) != "rolled-back" {
				t.Errorf("db: result %q, want rolled-back", res["db"])
			}
			for _, n := range []string{"gateway", "web"} {
				if !contains(fd.resultOK, resultWord(res[n])) {
					t.Errorf("%s: result %q, want one of %v", n, res[n], fd.resultOK)
				}
			}
			id := w.latestSwitch(t, "db")
			if id == before["db"] {
				t.Fatalf("db: no new switch (latest %s)", id)
			}
			st := w.waitFinal(t, "db", id, 5*time.Minute)
			// Without a new connection there is neither a health check nor a confirmation:
			// the deployer rejects the switch at once (or, out of reach, lets it run out).
			if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "no new SSH connection reaches the host") && !strings.Contains(st["reason"], "no confirmation") {
				t.Errorf("db: switch %s is %q (%s), want rolled-back for want of a new connection", id, st["state"], st["reason"])
			}
			if st["system"] == base["db"] {
				t.Errorf("db: the variant's system is the base system: the change changed nothing")
			}
			if got := w.currentSystem(t, "db"); got != base["db"] {
				t.Errorf("db: current system %s, want the previous %s", got, base["db"])
			}
			if out, err := w.dep.ssh(ctxOf(t), w.host(t, "db"), "true"); err != nil {
				t.Errorf("db: the deployer cannot log in after the rollback: %v\n%s%s", err, out, stderrOf(err))
			}
		}},

		{"FailedActivation", func(t *testing.T) {
			p := w.base
			p.BadZoneOn = "gateway"
			before := latestSwitches(t, w)
			r := fd.deploy(t, w, writeVariant(t, w.dir, "bad-zone", p))
			if r.code != 6 {
				t.Errorf("deploy exited with %d, want 6 (a host rolled back)", r.code)
			}
			res := results(r.output)
			if resultWord(res["gateway"]) != "rolled-back" {
				t.Errorf("gateway: result %q, want rolled-back", res["gateway"])
			}
			// The reason is in the deployer's output: the activation failed, and why (the
			// activation's own message, not only its exit code).
			if !strings.Contains(res["gateway"], "activat") || !strings.Contains(res["gateway"], "fail") {
				t.Errorf("gateway: the deployer's reason %q does not say that the activation failed", res["gateway"])
			}
			if !strings.Contains(r.output, "does not pass nsd-checkzone") {
				t.Errorf("the deployer's output does not show why gateway's activation failed (the activation said: zone lab.test ... does not pass nsd-checkzone)")
			}
			id := w.latestSwitch(t, "gateway")
			if id == before["gateway"] {
				t.Fatalf("gateway: no new switch")
			}
			st := w.waitFinal(t, "gateway", id, 5*time.Minute)
			if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "activating") {
				t.Errorf("gateway: switch %s is %q (%s), want rolled-back after a failed activation", id, st["state"], st["reason"])
			}
			if log := w.switchLog(t, "gateway", id); !strings.Contains(log, "nsd-checkzone") {
				t.Errorf("gateway: the switch log does not name the broken zone's check:\n%s", log)
			}
			if got := w.currentSystem(t, "gateway"); got != base["gateway"] {
				t.Errorf("gateway: current system %s, want the previous %s", got, base["gateway"])
			}
			// The old zone is served again.
			primary := w.host(t, "gateway").Address.String()
			for name, want := range declaredARecords(t, plan) {
				out, err := command.Output(ctxOf(t), command.Cmd{Argv: []string{"dig", "+short", "+time=2", "+tries=3", "@" + primary, name, "A"}})
				if got := strings.TrimSpace(string(out)); err != nil || got != want {
					t.Errorf("after the rollback, dig %s = %q (%v), want %q", name, got, err, want)
				}
				break
			}
		}},

		{"DeployerKilled", func(t *testing.T) {
			p := w.base
			p.SlowOn = "web"      // its activation takes seconds: no confirmation can beat the kill
			p.SuccessTimeout = 10 // nobody confirms: web rolls back 10 s after its activation
			before := latestSwitches(t, w)
			cmd := fd.command(t, w, writeVariant(t, w.dir, "slow", p))
			lines, wait := startLogged(t, cmd, "  |")
			id := ""
			for line := range lines {
				if m := switchStartedRe.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "[web]") {
					id = m[1]
					killSession(cmd.Process.Pid)
					break
				}
			}
			r := wait()
			if id == "" {
				t.Fatalf("the deployer ended (exit %d) without starting web's switch", r.code)
			}
			t.Logf("killed the deployer (SIGKILL) right after web's switch %s started", id)
			st := w.waitFinal(t, "web", id, 5*time.Minute)
			if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "no confirmation") || st["confirmed-by"] != "" {
				t.Errorf("web: switch %s is %q (%s; confirmed by %q), want rolled-back without a confirmation", id, st["state"], st["reason"], st["confirmed-by"])
			}
			// Every host ends on its previous system, and no switch is left running.
			for _, n := range exampleNodes {
				if latest := w.latestSwitch(t, n); latest != before[n] {
					w.waitFinal(t, n, latest, 5*time.Minute)
				}
				if got := w.currentSystem(t, n); got != base[n] {
					t.Errorf("%s: current system %s, want %s", n, got, base[n])
				}
			}
		}},

		// Faults on the host side (issue 13's matrix): the switch's runner killed, the host
		// crashed before and after the confirmation, Ctrl-C mid-deploy. Each ends with
		// every host on exactly its old or its new system, no lock, a truthful table, and
		// the next deploy working.
		{"Verify", func(t *testing.T) { verifyFleet(t, w, baseModule) }},
		{"Diff", func(t *testing.T) { diffFleet(t, w, baseModule) }},
		{"OperatorCommands", func(t *testing.T) { operatorCommands(t, w, baseModule) }},
		{"Rollback", func(t *testing.T) { rollbackOnDemand(t, w, base) }},
		{"HealthCheckVPN", func(t *testing.T) { faultVPNHandshake(t, fd, w, base, baseModule) }},
		{"Atomic", func(t *testing.T) { faultAtomic(t, fd, w, base, baseModule) }},
		{"SecretRestored", func(t *testing.T) { faultSecretRestored(t, fd, w, base, baseModule) }},
		{"SubstituteOnTarget", func(t *testing.T) { substituteOnTarget(t, fd, w, base, baseModule) }},
		{"BuildOnTarget", func(t *testing.T) { buildOnTarget(t, fd, w, base, baseModule) }},
		{"RemoteBuilder", func(t *testing.T) { remoteBuilder(t, fd, w) }},
		{"RunnerKilled", func(t *testing.T) { faultRunnerKilled(t, fd, w, base, baseModule) }},
		{"CrashBeforeConfirmation", func(t *testing.T) { faultCrash(t, fd, w, base, baseModule, false) }},
		{"CrashAfterConfirmation", func(t *testing.T) { faultCrash(t, fd, w, base, baseModule, true) }},
		{"Interrupted", func(t *testing.T) { faultInterrupted(t, fd, w, base, baseModule) }},
		{"HostDownBeforeDeploy", func(t *testing.T) { faultHostDown(t, fd, w, base, baseModule) }},
		{"ConcurrentDeploys", func(t *testing.T) { faultConcurrent(t, fd, w, base, baseModule) }},
		{"FailingSecret", func(t *testing.T) { faultFailingSecret(t, fd, w, base, baseModule) }},
		{"KilledCopy", func(t *testing.T) { faultKilledCopy(t, fd, w, base, baseModule) }},
		{"ChangedHostKey", func(t *testing.T) { faultChangedHostKey(t, fd, w, base, baseModule) }},
		{"RedeployAfterDeployerCrash", func(t *testing.T) { faultRedeployAfterCrash(t, fd, w, base, baseModule) }},
		{"NoLeak", func(t *testing.T) { noLeak(t, w, 3) }},

		{"NoopRedeploy", func(t *testing.T) {
			before := latestSwitches(t, w)
			r := fd.deploy(t, w, baseModule)
			if r.code != 0 {
				t.Errorf("deploy exited with %d, want 0", r.code)
			}
			after := latestSwitches(t, w)
			for _, n := range exampleNodes {
				if after[n] != before[n] {
					t.Errorf("%s: a redeploy without changes started switch %s (latest before: %s)", n, after[n], before[n])
				}
				if got := w.currentSystem(t, n); got != base[n] {
					t.Errorf("%s: current system %s, want %s", n, got, base[n])
				}
			}
		}},

		// Two deploys with different zone contents: each gets a serial of its own (the
		// deployer records the deployed serials), and the secondary follows each time.
		{"ZoneSerials", func(t *testing.T) { zoneSerials(t, fd, w) }},
	}
	for _, s := range steps {
		w.trace = filepath.Join(traceDir, s.name+".jsonl")
		if !t.Run(s.name, s.f) && s.name == "deploy" {
			t.Fatal("the first deploy failed: the other proofs need it")
		}
	}
}

// lockedHint explains a refused granted login whose target account is locked ("!" in
// /etc/shadow): sshd without PAM (the lab's) refuses locked accounts even with a key.
func lockedHint(t *testing.T, w *world, target string) string {
	user, node, _ := strings.Cut(target, "@")
	if node == "localhost" {
		return ""
	}
	out, _ := hostExec(ctxOf(t), w.lab, node, nil, "getent", "shadow", user)
	if f := strings.Split(out, ":"); len(f) > 1 && strings.HasPrefix(f[1], "!") {
		return fmt.Sprintf("(%s's account on %s is locked in /etc/shadow, %q: sshd without PAM refuses locked accounts)", user, node, f[1])
	}
	return ""
}

// latestSwitches is every example host's latest switch id.
func latestSwitches(t *testing.T, w *world) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, n := range exampleNodes {
		m[n] = w.latestSwitch(t, n)
	}
	return m
}

// vpnAddress is the node's address on wg-backbone, from its evaluated configuration.
func vpnAddress(t *testing.T, plan map[string]any, node string) string {
	t.Helper()
	ips, _ := dig(plan, "nodes", node, "configuration", "networking", "wireguard", "interfaces", "wg-backbone", "ips").([]any)
	if len(ips) == 0 {
		t.Fatalf("%s has no address on wg-backbone in the plan", node)
	}
	s, _ := ips[0].(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatalf("%s: wg-backbone address %q: %v", node, s, err)
	}
	return p.Addr().String()
}

// declaredARecords is name -> address of the plan's A records (one address each).
func declaredARecords(t *testing.T, plan map[string]any) map[string]string {
	t.Helper()
	recs, _ := dig(plan, "network", "dns", "records").([]any)
	out := map[string]string{}
	multi := map[string]bool{}
	for _, r := range recs {
		m, _ := r.(map[string]any)
		if m["type"] != "A" {
			continue
		}
		name, _ := m["name"].(string)
		data, _ := m["data"].(string)
		if _, dup := out[name]; dup || multi[name] {
			delete(out, name) // several addresses: not a one-line answer
			multi[name] = true
			continue
		}
		out[name] = data
	}
	return out
}

// dig walks a decoded JSON value.
func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// zoneSerials deploys two changes of lab.test and checks the serials and the secondary.
func zoneSerials(t *testing.T, fd frontDoor, w *world) {
	primary, secondary := w.host(t, "gateway").Address.String(), w.host(t, "db").Address.String()
	serial := func(server string) uint64 {
		out, _ := command.Output(ctxOf(t), command.Cmd{Argv: []string{"dig", "+short", "+time=2", "+tries=3", "@" + server, "lab.test", "SOA"}})
		f := strings.Fields(string(out))
		if len(f) < 3 {
			return 0
		}
		n, _ := strconv.ParseUint(f[2], 10, 64)
		return n
	}
	last := serial(primary)
	if last == 0 {
		t.Fatalf("the primary %s serves no SOA for lab.test", primary)
	}
	for i, rec := range []struct{ name, address string }{{"serial-a.lab.test", "192.0.2.71"}, {"serial-b.lab.test", "192.0.2.72"}} {
		p := w.base
		p.ExtraRecord = &struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		}{rec.name, rec.address}
		r := fd.deploy(t, w, writeVariant(t, w.dir, fmt.Sprintf("zone-%d", i), p))
		if r.code != 0 || !strings.Contains(r.output, "dns serials: recorded lab.test") {
			t.Fatalf("deploy %d exited %d; want 0 and the serial recorded", i+1, r.code)
		}
		now := serial(primary)
		if now <= last {
			t.Fatalf("deploy %d: the primary's serial is %d, want more than the last deploy's %d", i+1, now, last)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			out, _ := command.Output(ctxOf(t), command.Cmd{Argv: []string{"dig", "+short", "+time=2", "+tries=3", "@" + secondary, rec.name, "A"}})
			got, sec := strings.TrimSpace(string(out)), serial(secondary)
			if got == rec.address && sec == now {
				t.Logf("deploy %d: serial %d -> %d, the secondary answers %s = %s", i+1, last, now, rec.name, got)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("deploy %d: the secondary has %s = %q at serial %d; want %s at %d", i+1, rec.name, got, sec, rec.address, now)
			}
			time.Sleep(time.Second)
		}
		last = now
	}
}

// verifyFleet: `nixmesh verify` passes on the deployed lab, every declared edge probed;
// with web's WireGuard private key replaced on the host, it fails naming that edge.
func verifyFleet(t *testing.T, w *world, module string) {
	run := func() (int, []map[string]any, string) {
		code, stdout, stderr := w.nixmesh(t, append([]string{"verify", "--json", "-f", w.deployFile, "--"}, w.nixArgs(module)...)...)
		var results []map[string]any
		if err := json.Unmarshal([]byte(stdout), &results); err != nil {
			t.Fatalf("verify --json printed no JSON (%v): %s\n%s", err, stdout, stderr)
		}
		return code, results, stderr
	}
	code, results, errOut := run()
	features := map[string]int{}
	for _, r := range results {
		features[r["feature"].(string)]++
		if r["ok"] != true {
			t.Errorf("edge %v failed: %v", r["edge"], r["evidence"])
			if r["feature"] == "vpn" {
				for _, n := range exampleNodes {
					out, _ := hostExec(ctxOf(t), w.lab, n, nil, "sh", "-c", "wg show; ip -br addr; pgrep -a wireguard-go")
					t.Logf("%s:\n%s", n, out)
				}
			}
		}
	}
	if code != 0 || features["ssh"] == 0 || features["vpn"] != 2 || features["dns"] < 3 {
		t.Fatalf("verify: exit %d, edges per feature %v; want 0, some SSH grants, the 2 star links, the SOA and records\n%s", code, features, errOut)
	}
	t.Logf("verify: %d edges ok (%v)", len(results), features)

	// A wrong key on web: its link with the hub fails, the other one still works.
	key := "/var/lib/nixmesh/wireguard/backbone.key"
	mustHostExec(t, w.lab, "web", "sh", "-c", "wg genkey > /tmp/other.key && wg set wg-backbone private-key /tmp/other.key")
	defer mustHostExec(t, w.lab, "web", "wg", "set", "wg-backbone", "private-key", key)
	code, results, _ = run()
	broken := map[string]bool{}
	for _, r := range results {
		if r["ok"] != true {
			broken[r["edge"].(string)] = true
		}
	}
	if code != 1 || len(broken) != 1 || !broken["backbone: gateway <-> web"] {
		t.Errorf("verify with web's key replaced: exit %d, failing edges %v; want 1 and only backbone: gateway <-> web", code, broken)
	}
}

// diffFleet: `nixmesh diff` compares each host's running configuration with the
// deployment: nothing for the deployed one, the marker's change for a variant.
func diffFleet(t *testing.T, w *world, baseModule string) {
	run := func(module string) (int, string) {
		code, stdout, stderr := w.nixmesh(t, append([]string{"diff", "-f", w.deployFile, "--"}, w.nixArgs(module)...)...)
		return code, stdout + stderr
	}
	code, out := run(baseModule)
	for _, n := range exampleNodes {
		if !strings.Contains(out, n+": no change") {
			t.Errorf("diff of the deployed configuration (exit %d): %s lacks %q", code, out, n+": no change")
		}
	}
	p := w.base
	p.Marker = "diffed"
	code, out = run(writeVariant(t, w.dir, "diffed", p))
	if code != 0 || strings.Count(out, `~ environment.etc.e2e-marker.text: "base\n" -> "diffed\n"`) != 3 {
		t.Errorf("diff of a variant: exit %d\n%s", code, out)
	}
}

// operatorCommands on the lab: exec on every host at once, ssh to one, and a deploy with
// --dry-activate that asks the new systems what they would do and switches nothing.
func operatorCommands(t *testing.T, w *world, baseModule string) {
	run := func(args ...string) (int, string) {
		code, stdout, stderr := w.nixmesh(t, args...)
		return code, stdout + stderr
	}
	// exec and ssh take the deployment's arguments as --argstr NAME=VALUE.
	nixArgs := func(module string) []string {
		a := w.nixArgs(module)
		var out []string
		for i := 0; i+2 < len(a); i += 3 {
			out = append(out, a[i], a[i+1]+"="+a[i+2])
		}
		return out
	}
	code, out := run(append(append([]string{"exec", "-f", w.deployFile}, nixArgs(baseModule)...), "--", "cat /etc/e2e-marker; hostname")...)
	for _, n := range exampleNodes {
		if !regexpMatch(`(?m)^`+n+` *\| `+n+`$`, out) || !regexpMatch(`(?m)^`+n+` *\| base$`, out) {
			t.Errorf("exec: %s's lines are missing (exit %d):\n%s", n, code, out)
		}
	}
	if code != 0 {
		t.Errorf("exec exited %d", code)
	}
	code, out = run(append(append([]string{"ssh", "-f", w.deployFile}, nixArgs(baseModule)...), "web", "--", "readlink /var/lib/nixmesh/current-system; exit 3")...)
	if code != 3 || !strings.Contains(out, "nixmesh-system-web") {
		t.Errorf("ssh web: exit %d, want 3 and the running system:\n%s", code, out)
	}

	before := latestSwitches(t, w)
	p := w.base
	p.Marker = "dry-activated"
	argv := append([]string{"deploy", "--dry-activate", "-f", w.deployFile, "--"}, w.nixArgs(writeVariant(t, w.dir, "dry-activate", p))...)
	code, out = run(argv...)
	if code != 0 || !strings.Contains(out, "would-apply") || !strings.Contains(out, "switch-to-configuration dry-activate") {
		t.Errorf("deploy --dry-activate: exit %d\n%s", code, out)
	}
	after := latestSwitches(t, w)
	for _, n := range exampleNodes {
		if after[n] != before[n] {
			t.Errorf("%s: --dry-activate started switch %s", n, after[n])
		}
		if got, _ := hostExec(ctxOf(t), w.lab, n, nil, "cat", "/etc/e2e-marker"); strings.TrimSpace(got) != "base" {
			t.Errorf("%s: /etc/e2e-marker is %q after --dry-activate, want base", n, got)
		}
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// nixmesh runs the CLI as the deployer does; it returns the exit code, stdout and stderr.
func (w *world) nixmesh(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(nixmeshBinary(t), args...)
	cmd.Env = w.dep.env()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}
