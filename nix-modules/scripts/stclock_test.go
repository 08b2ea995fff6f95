package scripts

import (
	"strings"
	"testing"
	"time"
)

// holdNixOSSwitchLock has a process in the sandbox hold NixOS's switch lock for the
// given seconds, as a nixos-rebuild (or system.autoUpgrade) does while it switches.
func (s *sandbox) holdNixOSSwitchLock(seconds string) {
	s.t.Helper()
	s.mustSh(`mkdir -p /run/nixos
setsid flock /run/nixos/switch-to-configuration.lock sleep "$1" </dev/null >/dev/null 2>&1 &
for i in $(seq 50); do flock -n /run/nixos/switch-to-configuration.lock true || exit 0; sleep 0.05; done
echo "the lock was never taken" >&2; exit 1`, seconds)
}

// NixOS's switch-to-configuration fails at once when another holds its lock: the
// switcher waits for the lock (up to half the switch timeout) before it activates, so a
// switch that meets a nixos-rebuild under way goes on once that one has ended.
func TestActivationWaitsForNixOSSwitchLock(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	s.holdNixOSSwitchLock("2")

	id := s.start(next, "--action", "test", "--switch-timeout", "10")
	// While it waits, its status says what for (the deployer shows it).
	waiting := ""
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if st := s.status(id); st["state"] == "activating" && strings.Contains(st["reason"], "holds /run/nixos/switch-to-configuration.lock") {
			waiting = st["reason"]
			break
		}
	}
	if waiting == "" {
		t.Errorf("the status never said the switch waits for NixOS's lock")
	}
	st := s.waitState(id, "waiting-confirmation", "rolled-back", "failed", "success")
	if st["reason"] != "" {
		t.Errorf("reason %q once the lock was free, want none", st["reason"])
	}
	if st["state"] != "waiting-confirmation" {
		t.Fatalf("status %v, want waiting-confirmation once the other switch ended\n%s", st, s.log(id))
	}
	log := s.log(id)
	if !strings.Contains(log, "holds /run/nixos/switch-to-configuration.lock: waiting at most 5s") ||
		!strings.Contains(log, "the other switch-to-configuration has ended") {
		t.Errorf("the log does not tell of the wait:\n%s", log)
	}
	if r := s.confirmNew(id); r.code != 0 {
		t.Fatalf("confirm: %+v", r)
	}
	if st := s.waitState(id, "rolled-back", "failed", "success"); st["state"] != "success" {
		t.Fatalf("status %v after the confirmation, want success", st)
	}
	if want := []string{"new test"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q", s.calls(), want)
	}
}

// A lock held past the wait: nothing was activated, so nothing is rolled back either
// (no activation of the old system, which would meet the same lock): the switch fails
// saying the host is unchanged, and the secrets uploaded for it are put back.
func TestNixOSSwitchLockHeldLeavesHostUnchanged(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	tok := "/var/lib/nixmesh/secrets/tok"
	s.upload(tok, "v1", "")
	s.upload(tok, "v2", pendingJournal)
	s.holdNixOSSwitchLock("30")

	id := s.start(next, "--switch-timeout", "2")
	st := s.waitState(id, "rolled-back", "failed", "success")
	if st["state"] != "failed" || !strings.Contains(st["reason"], "was not run: another switch-to-configuration (a nixos-rebuild, or system.autoUpgrade) held /run/nixos/switch-to-configuration.lock for 1s") ||
		!strings.Contains(st["reason"], "the host is unchanged (its secrets restored)") {
		t.Fatalf("status %v, want failed, the host unchanged\n%s", st, s.log(id))
	}
	if c := s.calls(); len(c) != 0 {
		t.Errorf("activations %q, want none", c)
	}
	if got := s.secret(tok); got != "v1" {
		t.Errorf("the secret is %q after the switch that did not run, want v1 back", got)
	}
	if st["active"] != old || st["boot-default"] != old {
		t.Errorf("active %s, boot default %s; want both %s", st["active"], st["boot-default"], old)
	}
}
