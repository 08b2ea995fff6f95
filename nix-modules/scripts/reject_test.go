package scripts

import (
	"strings"
	"testing"
	"time"
)

// reject rolls a switch that waits for its confirmation back at once, with the
// deployer's reason; a later confirm is refused, and rejecting a confirmed switch is.
func TestRejectRollsBackAtOnce(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)

	id := s.start(next, "--success-timeout", "120")
	s.waitState(id, "waiting-confirmation")
	began := time.Now()
	r := s.sh(`bash "$S" reject "$1" "$2"`, id, "health check vpn-backbone failed: no handshake")
	st := parseStatus(r.stdout)
	if r.code != 0 || st["state"] != "rolled-back" || !strings.Contains(st["reason"], "rejected by the deployer: health check vpn-backbone failed: no handshake") {
		t.Fatalf("reject: exit %d, %v\n%s%s", r.code, st, r.stderr, s.log(id))
	}
	if time.Since(began) > 30*time.Second {
		t.Errorf("the rollback took %s; a reject must not wait for the success timeout (120s)", time.Since(began))
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != old {
		t.Errorf("active %q, want the previous %q", got, old)
	}
	if r := s.confirmNew(id); r.code != 6 {
		t.Errorf("confirm after a reject: exit %d, want 6", r.code)
	}
	if r := s.sh(`bash "$S" reject "$1" again`, id); r.code != 0 {
		t.Errorf("rejecting an ended switch again: exit %d, want 0 (nothing to do)", r.code)
	}

	// A confirmed switch cannot be rejected.
	id = s.start(next, "--success-timeout", "60")
	s.waitState(id, "waiting-confirmation")
	if r := s.confirmNew(id); r.code != 0 {
		t.Fatalf("confirm: exit %d\n%s", r.code, r.stderr)
	}
	if r := s.sh(`bash "$S" reject "$1" late`, id); r.code != 6 || parseStatus(r.stdout)["state"] != "success" {
		t.Errorf("reject after confirm: exit %d, %q; want 6 and success", r.code, r.stdout)
	}
}

// extend keeps a switch waiting past its success timeout for as long as it is renewed;
// without renewal the host rolls back by itself, saying why.
func TestExtendIsALease(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)

	// The first extend must land within the success timeout: 15 s, room for a loaded
	// machine (CI runs packages side by side; 2 s and then 5 s ran out there between
	// the status that saw the wait and the extend).
	id := s.start(next, "--success-timeout", "15")
	s.waitState(id, "waiting-confirmation")
	// Renew a 10 s lease every 1.5 s for 20 s: past the success timeout and past the
	// first lease, so only renewals that each count keep it waiting. The lease is
	// several times the renewal gap: one script call can take seconds on a loaded
	// machine (CI ran this test in 26 s instead of 15), and neither the renewals nor
	// the status and confirm after the last one may run past it.
	began := time.Now()
	for time.Since(began) < 20*time.Second {
		if r := s.sh(`bash "$S" extend "$1" 10`, id); r.code != 0 {
			t.Fatalf("extend: exit %d: %s\n%s", r.code, r.stderr, s.log(id))
		}
		time.Sleep(1500 * time.Millisecond)
	}
	if st := s.status(id); st["state"] != "waiting-confirmation" {
		t.Fatalf("after %s of renewed leases the switch is %v, want still waiting", time.Since(began).Round(time.Second), st)
	}
	if r := s.confirmNew(id); r.code != 0 {
		t.Fatalf("confirm within the lease: exit %d\n%s", r.code, r.stderr)
	}

	// Not renewed: rolled back once the lease runs out.
	// The extend must land within the success timeout, hence 15 s (room for a loaded
	// machine); the lease it takes is longer, so the reason tells which ran out.
	id = s.start(old, "--success-timeout", "15")
	s.waitState(id, "waiting-confirmation")
	s.mustSh(`bash "$S" extend "$1" 20`, id)
	st := s.waitState(id, "rolled-back", "failed", "success")
	if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "stopped renewing") {
		t.Errorf("lease not renewed: %v\n%s", st, s.log(id))
	}
	if r := s.sh(`bash "$S" extend "$1" 5`, id); r.code != 6 {
		t.Errorf("extend an ended switch: exit %d, want 6", r.code)
	}
	if r := s.sh(`bash "$S" extend "$1" soon`, id); r.code != 2 {
		t.Errorf("extend with a bad duration: exit %d, want 2", r.code)
	}
}
