package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"
)

// nixosFake is a NixOS-shaped system for the lab: bin/switch-to-configuration with
// NixOS's contract (actions switch/boot/test/dry-activate; exit 0, 1 broken, 4 units
// failed, 100 reboot needed; NIXOS_INSTALL_BOOTLOADER for boot) and the switcher
// installed as in every toplevel.
type nixosFake struct {
	activatedExit int    // after activating: 4 or 100 as NixOS would exit
	brokenExit    int    // before activating anything: the activation fails
	bootExit      int    // `boot` (the bootloader) fails with this exit code
	bootOutput    string // what the failing bootloader prints
	slow          bool   // the activation takes 30 s (time to signal the runner)
}

// nixosFakeSystem adds such a system to this machine's store and returns its path. Every
// call of switch-to-configuration is recorded on the host in /var/lib/nixos-fake/calls.
func nixosFakeSystem(t *testing.T, dir, name string, f nixosFake) string {
	t.Helper()
	src := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Join(src, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# NixOS-shaped fake system %s (nixmesh e2e, %s)\n", name, dir)
	b.WriteString("mkdir -p /var/lib/nixos-fake\n")
	fmt.Fprintf(&b, "echo \"%s $1 bootloader=${NIXOS_INSTALL_BOOTLOADER-}\" >> /var/lib/nixos-fake/calls\n", name)
	b.WriteString("self=$(dirname \"$(dirname \"$(readlink -f \"$0\")\")\")\n")
	b.WriteString("case \"$1\" in\n  switch|test)\n")
	if f.slow {
		// Long enough to signal the runner; never activates (if it outlived its runner,
		// it must not switch the host behind the rollback's back).
		b.WriteString("    sleep 30\n    exit 1\n")
	}
	if f.brokenExit != 0 {
		fmt.Fprintf(&b, "    echo 'activating %s failed: a unit file is broken' >&2\n    exit %d\n", name, f.brokenExit)
	}
	b.WriteString("    ln -sfn \"$self\" /var/lib/nixmesh/current-system\n    ln -sfn \"$self\" /run/current-system\n")
	if f.activatedExit == 4 {
		b.WriteString("    echo 'warning: the following units failed: app.service' >&2\n")
	}
	if f.activatedExit != 0 {
		fmt.Fprintf(&b, "    exit %d\n", f.activatedExit)
	}
	b.WriteString("    ;;\n  boot)\n")
	if f.bootExit != 0 {
		fmt.Fprintf(&b, "    echo %q >&2\n    exit %d\n", f.bootOutput, f.bootExit)
	}
	b.WriteString("    ;;\n  dry-activate) echo \"would activate %s\" ;;\nesac\nexit 0\n")
	writeFile(t, filepath.Join(src, "bin", "switch-to-configuration"), b.String(), 0o755)
	switcher, err := os.ReadFile(filepath.Join(testutil.NixModules(), "scripts", "switcher", "bin", "nixmesh-switch"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(src, "bin", "nixmesh-switch"), string(switcher), 0o755)
	writeFile(t, filepath.Join(src, "nixos-version"), "26.05.fake\n", 0o644)
	out, err := exec.Command("nix-store", "--add", src).Output()
	if err != nil {
		t.Fatalf("nix-store --add %s: %v", src, err)
	}
	return strings.TrimSpace(string(out))
}

// nixosPlan writes a frozen plan (what `nix-build deploy.nix` gives ./result) that deploys
// system to the lab host as a NixOS node.
func nixosPlan(t *testing.T, dir string, l *lab.Lab, system string, ignoreUnits bool) string {
	t.Helper()
	h := l.Hosts()[0]
	node := map[string]any{
		"name": h.Name, "enable": true, "kind": "nixos",
		"host": "root@" + h.Address.String(), "user": "root", "hostname": h.Address.String(), "port": h.Port,
		"sshOptions":                 []string{"-o", "IdentityFile=" + l.OperatorKey(), "-o", "UserKnownHostsFile=" + l.KnownHostsFile()},
		"privilegeEscalationCommand": []string{"sudo", "-n"}, "tags": []string{},
		"successTimeout": 20, "switchTimeout": 120, "ignoreFailingSystemdUnits": ignoreUnits,
		"configuration": map[string]any{}, "notApplied": []string{},
	}
	plan := map[string]any{
		"version": 1,
		"nodes":   map[string]any{h.Name: node},
		"network": map[string]any{},
		"frozen":  map[string]any{"nodes": []string{h.Name}, "systems": map[string]string{h.Name: system}},
	}
	b, _ := json.Marshal(plan)
	file := filepath.Join(dir, fmt.Sprintf("plan-%d.json", time.Now().UnixNano()))
	writeFile(t, file, string(b), 0o644)
	return file
}

// TestNixOSShapedHost takes a lab host through NixOS's activation contract with the one
// deploy engine (`nixmesh deploy --plan`, which ./result runs): a switch, a broken
// activation, exit 4 with and without ignoreFailingSystemdUnits, exit 100, a `boot` that
// fails after the confirmation, and a runner stopped with SIGTERM. Each ends on exactly
// the old or the new system, and the table says which.
func TestNixOSShapedHost(t *testing.T) {
	require(t)
	l := labtest.Up(t, lab.Config{Hosts: []lab.HostSpec{{Name: "nx"}}})
	dir := t.TempDir()
	host := l.Hosts()[0].Name
	sys := map[string]string{}
	for name, f := range map[string]nixosFake{
		"first":   {},
		"second":  {},
		"broken":  {brokenExit: 1},
		"units":   {activatedExit: 4},
		"units2":  {activatedExit: 4},
		"reboot":  {activatedExit: 100},
		"badboot": {bootExit: 1, bootOutput: "grub-install: error: disk not found"},
		"slow":    {slow: true},
	} {
		sys[name] = nixosFakeSystem(t, dir, name, f)
	}
	current := func() string {
		out, err := hostExec(testContext(t), l, host, nil, "readlink", "/var/lib/nixmesh/current-system")
		if err != nil {
			t.Fatalf("reading the current system: %v", err)
		}
		return strings.TrimSpace(out)
	}
	profile := func() string {
		out, _ := hostExec(testContext(t), l, host, nil, "readlink", "-f", "/nix/var/nix/profiles/system")
		return strings.TrimSpace(out)
	}
	nixmesh := func(args ...string) run {
		cmd := exec.CommandContext(testContext(t), nixmeshBinary(t), args...)
		cmd.Env = testutil.NixEnv()
		out, err := cmd.CombinedOutput()
		r := run{output: string(out)}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	deploy := func(system string, ignoreUnits bool, extra ...string) run {
		return nixmesh(append([]string{"deploy", "--plan", nixosPlan(t, dir, l, system, ignoreUnits)}, extra...)...)
	}
	// The table's result for the host (a line "nx  ok  500ms  ...").
	word := func(r run) string {
		w := ""
		for _, line := range strings.Split(r.output, "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == host && !strings.HasPrefix(line, " ") {
				w = f[1]
			}
		}
		return w
	}

	steps := []struct {
		name string
		f    func(t *testing.T)
	}{
		{"Switch", func(t *testing.T) {
			for _, s := range []string{"first", "second"} {
				if r := deploy(sys[s], false); r.code != 0 || word(r) != "ok" {
					t.Fatalf("%s: exit %d, %q\n%s", s, r.code, word(r), r.output)
				}
				if current() != sys[s] || profile() != sys[s] {
					t.Fatalf("%s: running %s, profile %s", s, current(), profile())
				}
			}
		}},
		{"BrokenActivation", func(t *testing.T) {
			r := deploy(sys["broken"], false)
			if r.code == 0 || word(r) != "rolled-back" || !strings.Contains(r.output, "a unit file is broken") {
				t.Errorf("exit %d, %q, want rolled-back with the activation's message\n%s", r.code, word(r), r.output)
			}
			if current() != sys["second"] || profile() != sys["second"] {
				t.Errorf("running %s, profile %s; want the old %s", current(), profile(), sys["second"])
			}
		}},
		{"Exit4", func(t *testing.T) {
			r := deploy(sys["units"], false)
			if r.code == 0 || word(r) != "rolled-back" || !strings.Contains(r.output, "ignoreFailingSystemdUnits") {
				t.Errorf("exit 4: exit %d, %q, want rolled-back naming ignoreFailingSystemdUnits\n%s", r.code, word(r), r.output)
			}
			if current() != sys["second"] {
				t.Errorf("after exit 4: running %s, want the old %s", current(), sys["second"])
			}
			r = deploy(sys["units2"], true)
			if r.code != 0 || word(r) != "ok" || !strings.Contains(r.output, "units failed") {
				t.Errorf("exit 4 ignored: exit %d, %q, want ok with the warning\n%s", r.code, word(r), r.output)
			}
			if current() != sys["units2"] || profile() != sys["units2"] {
				t.Errorf("after exit 4 ignored: running %s, profile %s", current(), profile())
			}
		}},
		{"Exit100", func(t *testing.T) {
			r := deploy(sys["reboot"], false)
			if r.code != 0 || word(r) != "ok" || !strings.Contains(r.output, "reboot needed") {
				t.Errorf("exit 100: exit %d, %q, want ok with reboot needed\n%s", r.code, word(r), r.output)
			}
			if current() != sys["reboot"] || profile() != sys["reboot"] {
				t.Errorf("after exit 100: running %s, profile %s", current(), profile())
			}
		}},
		{"FailingBoot", func(t *testing.T) {
			r := deploy(sys["badboot"], false, "--install-bootloader")
			if r.code == 0 || word(r) == "ok" || !strings.Contains(r.output, "grub-install: error: disk not found") {
				t.Errorf("failing boot: exit %d, %q, want a failure with the bootloader's output\n%s", r.code, word(r), r.output)
			}
			// The confirmed system keeps running; the generation that cannot boot is gone.
			if current() != sys["badboot"] {
				t.Errorf("running %s, want the confirmed %s", current(), sys["badboot"])
			}
			if profile() == sys["badboot"] {
				t.Errorf("the profile still points at %s, which does not boot", sys["badboot"])
			}
			calls, _ := hostExec(testContext(t), l, host, nil, "cat", "/var/lib/nixos-fake/calls")
			if !strings.Contains(calls, "badboot boot bootloader=1") {
				t.Errorf("boot was not asked to install the bootloader:\n%s", calls)
			}
		}},
		{"RollbackAfterFailedBoot", func(t *testing.T) {
			// The host runs the confirmed badboot, whose generation left the profile. A
			// switch that fails now goes back to what ran before it (badboot), not to the
			// profile's system.
			if current() != sys["badboot"] {
				t.Skip("needs the state FailingBoot leaves")
			}
			r := deploy(sys["broken"], false)
			if r.code == 0 || word(r) != "rolled-back" {
				t.Errorf("exit %d, %q, want rolled-back\n%s", r.code, word(r), r.output)
			}
			if current() != sys["badboot"] {
				t.Errorf("rolled back to %s, want the system that ran before, %s", current(), sys["badboot"])
			}
		}},
		{"RunnerSIGTERM", func(t *testing.T) {
			// From a confirmed system that is also the boot default.
			if r := deploy(sys["first"], false); r.code != 0 || current() != sys["first"] || profile() != sys["first"] {
				t.Fatalf("back to first: exit %d, running %s, profile %s\n%s", r.code, current(), profile(), r.output)
			}
			before := current()
			done := make(chan run, 1)
			go func() { done <- deploy(sys["slow"], false) }()
			runner := ""
			for bound := time.Now().Add(60 * time.Second); runner == "" && time.Now().Before(bound); time.Sleep(200 * time.Millisecond) {
				out, _ := hostExec(testContext(t), l, host, nil, "sh", "-c", "cat /var/lib/nixmesh/switch/$(cat /var/lib/nixmesh/switch/counter)/runner 2>/dev/null")
				if f := strings.Fields(out); len(f) > 0 {
					if calls, _ := hostExec(testContext(t), l, host, nil, "cat", "/var/lib/nixos-fake/calls"); strings.Contains(calls, "slow switch") || strings.Contains(calls, "slow test") {
						runner = f[0]
					}
				}
			}
			if runner == "" {
				t.Fatal("the slow switch never started its activation")
			}
			mustHostExec(t, l, host, "kill", "-TERM", runner)
			var r run
			select {
			case r = <-done:
			case <-time.After(3 * time.Minute):
				t.Fatal("the deployer did not end after the runner was stopped")
			}
			// Rolled back because of the signal (not because the slow activation ended).
			if r.code == 0 || word(r) != "rolled-back" || !strings.Contains(r.output, "stopped by SIGTERM") {
				t.Errorf("SIGTERM: exit %d, %q, want rolled-back by SIGTERM\n%s", r.code, word(r), r.output)
			}
			// The slow activation may still finish in the background; what counts is
			// that the host ends on the old system.
			time.Sleep(time.Second)
			if current() != before {
				t.Errorf("after SIGTERM: running %s, want the old %s", current(), before)
			}
		}},
		{"SystemdRunUnits", func(t *testing.T) {
			// As on NixOS (systemd is PID 1): the runner and the guard start as transient
			// units through systemd-run, here a stand-in that records its arguments and
			// starts the command detached. It is put first on root's PATH through the
			// host's private /root (.bashrc, read for commands over SSH), never in /usr,
			// which the lab shares with this machine.
			standIn := `#!/bin/sh
# systemd-run stand-in (nixmesh e2e): record, then run the command detached.
echo "$*" >> /var/lib/nixos-fake/systemd-run
while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
setsid nohup "$@" </dev/null >/dev/null 2>&1 &
exit 0
`
			mustHostExec(t, l, host, "sh", "-c", `mkdir -p /root/fakebin /run/systemd/system /var/lib/nixos-fake && cp -a /root/.bashrc /root/.bashrc.e2e 2>/dev/null; printf 'export PATH=/root/fakebin:$PATH\n' | cat - /root/.bashrc.e2e > /root/.bashrc 2>/dev/null || printf 'export PATH=/root/fakebin:$PATH\n' > /root/.bashrc`)
			defer hostExec(testContext(t), l, host, nil, "sh", "-c", "rm -rf /root/fakebin /run/systemd; if [ -e /root/.bashrc.e2e ]; then mv /root/.bashrc.e2e /root/.bashrc; else rm -f /root/.bashrc; fi")
			if err := writeHostFile(t, l, host, "/root/fakebin/systemd-run", standIn); err != nil {
				t.Fatal(err)
			}
			if r := deploy(sys["second"], false); r.code != 0 || word(r) != "ok" || current() != sys["second"] {
				t.Fatalf("deploy through systemd-run: exit %d, %q, running %s\n%s", r.code, word(r), current(), r.output)
			}
			calls, _ := hostExec(testContext(t), l, host, nil, "cat", "/var/lib/nixos-fake/systemd-run")
			for _, want := range []string{"--collect --unit nixmesh-switch-", "--property KillMode=process", "__run", "-guard ", "__guard"} {
				if !strings.Contains(calls, want) {
					t.Errorf("systemd-run was not called with %q; its calls:\n%s", want, calls)
				}
			}
		}},
		{"RollbackOnDemand", func(t *testing.T) {
			// `nixmesh rollback` (hosts reached as a frozen plan says): from second back to
			// the generation before it, first (RunnerSIGTERM's deploy), activated with
			// NixOS's switch-to-configuration test then boot; that generation is the
			// profile's current one again, and no generation is added.
			generations := func() string {
				out, _ := hostExec(testContext(t), l, host, nil, "sh", "-c", "ls -d /nix/var/nix/profiles/system-*-link | wc -l")
				return strings.TrimSpace(out)
			}
			if current() != sys["second"] {
				t.Fatalf("running %s, want second (SystemdRunUnits' deploy)", current())
			}
			before := generations()
			hostExec(testContext(t), l, host, nil, "sh", "-c", ": > /var/lib/nixos-fake/calls")
			r := nixmesh("rollback", "--plan", nixosPlan(t, dir, l, sys["second"], false), host)
			if r.code != 0 || word(r) != "ok" || !strings.Contains(r.output, "now on generation") {
				t.Fatalf("rollback: exit %d, %q\n%s", r.code, word(r), r.output)
			}
			if current() != sys["first"] || profile() != sys["first"] || generations() != before {
				t.Errorf("after the rollback: running %s, profile %s, %s generations; want first (%s) and %s generations", current(), profile(), generations(), sys["first"], before)
			}
			calls, _ := hostExec(testContext(t), l, host, nil, "cat", "/var/lib/nixos-fake/calls")
			if !strings.Contains(calls, "first test") || !strings.Contains(calls, "first boot") {
				t.Errorf("first was not activated (test) and made the boot default (boot); calls:\n%s", calls)
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.f) {
			t.FailNow()
		}
	}
}

// writeHostFile writes content to path on a lab host (through sh on the host).
func writeHostFile(t *testing.T, l *lab.Lab, host, path, content string) error {
	t.Helper()
	_, err := hostExec(testContext(t), l, host, []byte(content), "sh", "-c", `cat > "$1" && chmod 755 "$1"`, "sh", path)
	return err
}
