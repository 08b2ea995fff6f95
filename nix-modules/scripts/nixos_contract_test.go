package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// confirmed starts a switch to next, confirms it and returns its final status.
func (s *sandbox) confirmed(next string, opts ...string) (string, map[string]string) {
	s.t.Helper()
	id := s.start(next, append([]string{"--success-timeout", "60"}, opts...)...)
	st := s.waitState(id, "waiting-confirmation", "rolled-back", "failed")
	if st["state"] == "waiting-confirmation" {
		if r := s.confirmNew(id); r.code != 0 && r.code != 6 {
			s.t.Fatalf("confirm: exit %d: %s", r.code, r.stderr)
		}
	}
	return id, s.waitState(id, "success", "rolled-back", "failed")
}

// switch-to-configuration's exit codes, as NixOS's contract has them: 4 (units failed)
// rolls back unless the node ignores failing units, then it is a success with the
// warning; 100 (reboot needed) is a success with that warning.
func TestActivationExitCodes(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	units := s.fakeSystem("units", fake{activatedExit: 4})
	reboot := s.fakeSystem("reboot", fake{activatedExit: 100})
	s.setConfirmed(old)

	id, st := s.confirmed(units)
	if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "exited with code 4 (some units failed to start; set ignoreFailingSystemdUnits") {
		t.Errorf("exit 4: %v\n%s", st, s.log(id))
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != old {
		t.Errorf("after exit 4: active %s, want %s", got, old)
	}

	id, st = s.confirmed(units, "--ignore-failing-units")
	if st["state"] != "success" || !strings.Contains(st["warnings"], "units failed to start") {
		t.Errorf("exit 4, failing units ignored: %v\n%s", st, s.log(id))
	}
	if got := s.readlink(profilePath); got != units {
		t.Errorf("profile %s, want %s", got, units)
	}

	id, st = s.confirmed(reboot)
	if st["state"] != "success" || !strings.Contains(st["warnings"], "reboot needed") {
		t.Errorf("exit 100: %v\n%s", st, s.log(id))
	}
	if got := s.readlink(profilePath); got != reboot {
		t.Errorf("profile %s, want %s", got, reboot)
	}
}

// --install-bootloader reaches `switch-to-configuration boot` as NIXOS_INSTALL_BOOTLOADER=1,
// and only when asked.
func TestInstallBootloader(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	a, b := s.fakeSystem("a", fake{}), s.fakeSystem("b", fake{})
	s.setConfirmed(old)
	if _, st := s.confirmed(a); st["state"] != "success" {
		t.Fatalf("a: %v", st)
	}
	if _, st := s.confirmed(b, "--install-bootloader"); st["state"] != "success" {
		t.Fatalf("b: %v", st)
	}
	env, _ := os.ReadFile(filepath.Join(s.dir, "boot-env"))
	if got := strings.TrimSpace(string(env)); got != "a bootloader=\nb bootloader=1" {
		t.Errorf("boot calls saw %q, want the variable for b only", got)
	}
}

// A boot that fails after the confirmation keeps the confirmed system running, removes
// its generation from the profile (the boot default stays the last one that installed)
// and fails the switch with the bootloader's output.
func TestFailedBootAfterConfirmation(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{bootExit: 1, bootOutput: "grub-install: error: cannot find a GRUB drive for /dev/vda"})
	s.setConfirmed(old)
	gens := func() string {
		return strings.TrimSpace(s.mustSh(`nix-env -p /nix/var/nix/profiles/system --list-generations | wc -l`))
	}
	before := gens()
	id, st := s.confirmed(next)
	if st["state"] != "failed" || !strings.Contains(st["reason"], "grub-install: error: cannot find a GRUB drive") || !strings.Contains(st["reason"], "confirmed and running") {
		t.Fatalf("failed boot: %v\n%s", st, s.log(id))
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != next {
		t.Errorf("active %s, want the confirmed %s still running", got, next)
	}
	if got := s.readlink(profilePath); got != old {
		t.Errorf("profile (boot default) %s, want %s", got, old)
	}
	if after := gens(); after != before {
		t.Errorf("profile generations %s -> %s: the failed one was not removed", before, after)
	}
}

// With systemd as PID 1, the runner and the guard are transient units (a stand-in
// systemd-run records how it is called and starts the command detached, as systemd
// would); the switch works as before.
func TestRunnerAsTransientUnit(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	bin := filepath.Join(s.dir, "bin")
	os.MkdirAll(bin, 0o755)
	standIn := `#!/bin/sh
# A stand-in for systemd-run: records its arguments, then runs the command after "--"
# in a session of its own, detached, as a transient service would run.
printf '%s\n' "$*" >> ` + s.dir + `/systemd-run.calls
while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
shift
setsid "$@" </dev/null >/dev/null 2>&1 &
`
	if err := os.WriteFile(filepath.Join(bin, "systemd-run"), []byte(standIn), 0o755); err != nil {
		t.Fatal(err)
	}
	s.mustSh(`mkdir -p /run/systemd/system`)
	id := strings.TrimSpace(s.mustSh(`PATH="$1:$PATH" bash "$S" start "$2" --success-timeout 60`, bin, next))
	s.waitState(id, "waiting-confirmation")
	if r := s.confirmNew(id); r.code != 0 {
		t.Fatalf("confirm: %d %s", r.code, r.stderr)
	}
	s.assertEnd(id, "success", next)
	calls, _ := os.ReadFile(filepath.Join(s.dir, "systemd-run.calls"))
	for _, want := range []string{"--unit nixmesh-switch-" + id + " ", "--unit nixmesh-switch-" + id + "-guard ", "--collect", "KillMode=process"} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("systemd-run calls lack %q:\n%s", want, calls)
		}
	}
}

// The last resort: after a rollback, a host that no new SSH connection reaches within
// --reboot-if-unreachable seconds reboots into its boot default; a connection (the
// deployer checks right after a rollback) spares it.
func TestRebootIfUnreachableAfterRollback(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	broken := s.fakeSystem("broken", fake{exitCode: 3})
	s.setConfirmed(old)
	bin := filepath.Join(s.dir, "bin")
	os.MkdirAll(bin, 0o755)
	calls := filepath.Join(s.dir, "systemctl.calls")
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte("#!/bin/sh\necho \"$*\" >> "+calls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := func(wait string) string {
		return strings.TrimSpace(s.mustSh(`PATH="$1:$PATH" bash "$S" start "$2" --reboot-if-unreachable "$3"`, bin, broken, wait))
	}

	// A connection comes: no reboot.
	id := start("20")
	s.assertEnd(id, "rolled-back", old)
	s.mustSh(`setsid "$SSHD" -c 'sleep 5; :' </dev/null >/dev/null 2>&1 & sleep 0.2`)
	waitLog := func(want string) string {
		for i := 0; i < 100; i++ {
			if l := s.log(id); strings.Contains(l, want) {
				return l
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the switch log never said %q:\n%s", want, s.log(id))
		return ""
	}
	waitLog("a new SSH connection reached the host")
	if b, _ := os.ReadFile(calls); len(b) != 0 {
		t.Errorf("rebooted although a connection came: %s", b)
	}

	// None comes: reboot.
	id = start("2")
	s.assertEnd(id, "rolled-back", old)
	waitLog("rebooting into the boot default")
	// The watchdog says so first, then records the reason and reboots.
	var b []byte
	for i := 0; i < 100 && strings.TrimSpace(string(b)) == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		b, _ = os.ReadFile(calls)
	}
	if strings.TrimSpace(string(b)) != "reboot" {
		t.Errorf("systemctl calls %q, want reboot", b)
	}
	if st := s.status(id); !strings.Contains(st["reason"], "rebooted into its boot default") {
		t.Errorf("reason %q does not say the host rebooted", st["reason"])
	}
}
