package scripts

import (
	"strings"
	"testing"
)

// upload runs the secret upload program in the sandbox (as the deployer does over SSH);
// journal "" uploads outside a switch.
func (s *sandbox) upload(path, content, journal string) string {
	s.t.Helper()
	return strings.TrimSpace(s.mustSh(`printf %s "$3" | sh -c "$1" nixmesh-secret "$2" root root 400 ${4:+"$4"}`, SecretUpload, path, content, journal))
}

func (s *sandbox) secret(path string) string {
	s.t.Helper()
	return s.mustSh(`if [ -e "$1" ]; then cat "$1"; else printf '(absent)'; fi`, path)
}

// leftovers lists the kept copies still next to the secrets and the pending journal.
func (s *sandbox) leftovers() string {
	s.t.Helper()
	return strings.TrimSpace(s.mustSh(`ls -A /var/lib/nixmesh/secrets | grep nixmesh-prev; ls /var/lib/nixmesh/switch/secrets-pending 2>/dev/null; true`))
}

const pendingJournal = "/var/lib/nixmesh/switch/secrets-pending"

// A switch that rolls back puts back the secrets uploaded for it (a file that did not
// exist is removed); one that succeeds keeps them; no kept copy is left either way. Also
// when the switch is ended by `recover` after its runner and guard died.
func TestRollbackRestoresSecrets(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	broken := s.fakeSystem("broken", fake{exitCode: 3})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	tok, fresh := "/var/lib/nixmesh/secrets/tok", "/var/lib/nixmesh/secrets/fresh"
	if got := s.upload(tok, "v1", ""); got != "changed" {
		t.Fatalf("first upload: %q", got)
	}

	// Rolled back: tok is v1 again, fresh is gone.
	s.upload(tok, "v2", pendingJournal)
	s.upload(tok, "v2b", pendingJournal) // a second upload for the same switch keeps v1
	s.upload(fresh, "f1", pendingJournal)
	id := s.start(broken)
	s.assertEnd(id, "rolled-back", old)
	if got, f := s.secret(tok), s.secret(fresh); got != "v1" || f != "(absent)" {
		t.Errorf("after the rollback: tok %q, fresh %q; want v1 and absent\n%s", got, f, s.log(id))
	}
	if !strings.Contains(s.log(id), "put back the secret "+tok) {
		t.Errorf("the log does not say the secret was put back:\n%s", s.log(id))
	}
	if l := s.leftovers(); l != "" {
		t.Errorf("left behind: %s", l)
	}

	// Confirmed: the new secrets stay.
	s.upload(tok, "v3", pendingJournal)
	id = s.start(next, "--success-timeout", "60")
	s.waitState(id, "waiting-confirmation")
	if r := s.confirmNew(id); r.code != 0 {
		t.Fatalf("confirm: %d %s", r.code, r.stderr)
	}
	s.assertEnd(id, "success", next)
	if got := s.secret(tok); got != "v3" {
		t.Errorf("after the success: tok %q, want v3", got)
	}
	if l := s.leftovers(); l != "" {
		t.Errorf("left behind: %s", l)
	}

	// Runner and guard killed while waiting; recover puts the confirmed secret back.
	s.upload(tok, "v4", pendingJournal)
	id = s.start(old, "--success-timeout", "600")
	s.waitState(id, "waiting-confirmation")
	s.killGuard(id)
	s.kill(id, "runner", "KILL")
	if r := s.sh(`bash "$S" recover`); r.code != 0 {
		t.Fatalf("recover: %d %s", r.code, r.stderr)
	}
	s.assertEnd(id, "rolled-back", next)
	if got := s.secret(tok); got != "v3" {
		t.Errorf("after recover: tok %q, want v3 (the confirmed switch's)", got)
	}
	if l := s.leftovers(); l != "" {
		t.Errorf("left behind: %s", l)
	}
}
