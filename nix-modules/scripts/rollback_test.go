package scripts

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Faults on the host side: whatever ends the runner, the host ends on its last confirmed
// system (or on the confirmed new one), with no lock left.

// kill sends sig to a process of switch id (who: runner or guard) and waits until it is
// gone (reaped by the sandbox's init).
func (s *sandbox) kill(id, who, sig string) {
	s.t.Helper()
	s.mustSh(`read -r pid _ < /var/lib/nixmesh/switch/"$1"/"$2"; kill -"$3" "$pid"
while [ -e /proc/"$pid" ] && [ "$(cut -d' ' -f3 /proc/"$pid"/stat)" != Z ]; do sleep 0.05; done`, id, who, sig)
}

// killGuard kills the guard of switch id: a switch whose runner then dies has nobody left
// to end it (as after a power loss).
func (s *sandbox) killGuard(id string) {
	s.t.Helper()
	s.kill(id, "guard", "KILL")
}

func (s *sandbox) assertEnd(id, state, active string, calls ...string) map[string]string {
	s.t.Helper()
	st := s.waitState(id, "success", "rolled-back", "failed")
	if st["state"] != state {
		s.t.Fatalf("switch %s ended %q, want %q: %v\nlog:\n%s", id, st["state"], state, st, s.log(id))
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != active {
		s.t.Errorf("active system %q, want %q", got, active)
	}
	if st["active"] != active {
		s.t.Errorf("status says active=%q, want %q", st["active"], active)
	}
	if s.exists(lockPath) {
		s.t.Errorf("the lock is still held after switch %s ended", id)
	}
	if calls != nil && !equalLists(s.calls(), calls) {
		s.t.Errorf("calls = %q, want %q\nlog:\n%s", s.calls(), calls, s.log(id))
	}
	return st
}

func TestGuardRollsBackWhenTheRunnerIsKilled(t *testing.T) {
	t.Parallel()
	for _, when := range []string{"waiting-confirmation", "activating"} {
		t.Run(when, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			old := s.fakeSystem("old", fake{})
			next := s.fakeSystem("new", fake{gated: when == "activating"})
			s.setConfirmed(old)
			id := s.start(next, "--success-timeout", "600")
			s.waitState(id, when)
			if when == "activating" {
				s.waitCall("new test") // an activation left behind, to be stopped
			}
			s.kill(id, "runner", "KILL")
			st := s.assertEnd(id, "rolled-back", old)
			if !strings.Contains(st["reason"], "guard") {
				t.Errorf("reason %q does not say the guard took over", st["reason"])
			}
			if got := s.calls(); len(got) == 0 || got[len(got)-1] != "old test" {
				t.Errorf("calls = %q, want the last confirmed system re-activated last", got)
			}
			if when == "activating" {
				// The activation the dead runner left behind was stopped: released now, it
				// must not make the new system active after the rollback.
				s.release("new")
				time.Sleep(300 * time.Millisecond)
				if got := s.readlink("/var/lib/nixmesh/current-system"); got != old {
					t.Errorf("the orphaned activation went on: active %q", got)
				}
			}
			// The next switch starts without ado.
			next2 := s.start(next, "--success-timeout", "60")
			s.waitState(next2, "waiting-confirmation")
			if r := s.confirmNew(next2); r.code != 0 {
				t.Errorf("confirm after the recovery: exit %d %s", r.code, r.stderr)
			}
		})
	}
}

func TestSIGTERMRollsBackAtOnce(t *testing.T) {
	t.Parallel()
	for _, when := range []string{"waiting-confirmation", "activating"} {
		t.Run(when, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			old := s.fakeSystem("old", fake{})
			next := s.fakeSystem("new", fake{hang: when == "activating"})
			s.setConfirmed(old)
			id := s.start(next, "--success-timeout", "600", "--switch-timeout", "600")
			s.waitState(id, when)
			if when == "activating" {
				s.waitCall("new test")
			}
			begin := time.Now()
			s.kill(id, "runner", "TERM")
			st := s.assertEnd(id, "rolled-back", old, "new test", "old test")
			if !strings.Contains(st["reason"], "SIGTERM") {
				t.Errorf("reason %q does not name SIGTERM", st["reason"])
			}
			if took := time.Since(begin); took > 20*time.Second {
				t.Errorf("the rollback after SIGTERM took %v; the timeouts are 600s", took)
			}
		})
	}
}

func TestRunnerAndGuardGoneThenRecover(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	id := s.start(next, "--success-timeout", "600")
	s.waitState(id, "waiting-confirmation")
	s.killGuard(id)
	s.kill(id, "runner", "KILL")

	// Nobody is left: the status says so, and what runs.
	st := s.status(id)
	if st["state"] != "failed" || !strings.Contains(st["reason"], "the host runs "+next+", not its last confirmed system "+old) {
		t.Fatalf("status with runner and guard gone: %v", st)
	}
	if st["boot-default"] != old {
		t.Errorf("boot-default=%q, want %q", st["boot-default"], old)
	}
	// A confirmation is no use any more.
	if r := s.confirmNew(id); r.code == 0 {
		t.Errorf("confirm of an abandoned switch was accepted: %s", r.stdout)
	}
	r := s.sh(`bash "$S" recover`)
	if r.code != 0 {
		t.Fatalf("recover: exit %d: %s", r.code, r.stderr)
	}
	end := s.assertEnd(id, "rolled-back", old, "new test", "old test")
	if !strings.Contains(end["reason"], "recover") {
		t.Errorf("reason %q does not name recover", end["reason"])
	}
}

func TestStartRecoversAStaleLock(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	other := s.fakeSystem("other", fake{})
	s.setConfirmed(old)
	id := s.start(next, "--success-timeout", "600")
	s.waitState(id, "waiting-confirmation")
	s.killGuard(id)
	s.kill(id, "runner", "KILL")
	if !s.exists(lockPath) {
		t.Fatal("the lock is gone although nobody released it")
	}
	r := s.sh(`bash "$S" start "$1" --success-timeout 60`, other)
	if r.code != 0 || !strings.Contains(r.stderr, "recovered the stale lock of switch "+id) {
		t.Fatalf("start over a stale lock: exit %d, stderr %q", r.code, r.stderr)
	}
	second := strings.TrimSpace(r.stdout)
	if st := s.status(id); st["state"] != "rolled-back" {
		t.Errorf("the abandoned switch: %v", st)
	}
	st := s.waitState(second, "waiting-confirmation")
	// The rollback target of the new switch is the last confirmed system, not the
	// unconfirmed one the abandoned switch had left active.
	if st["previous"] != old {
		t.Errorf("previous=%q, want the last confirmed %q", st["previous"], old)
	}
	if c := s.confirmNew(second); c.code != 0 || parseStatus(c.stdout)["state"] != "success" {
		t.Errorf("confirm of the new switch: exit %d, %q %q", c.code, c.stdout, c.stderr)
	}
	if want := []string{"new test", "old test", "other test", "other boot"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q", s.calls(), want)
	}
}

func TestRollbackTargetIsTheLastConfirmedSystem(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	unconfirmed := s.fakeSystem("unconfirmed", fake{})
	broken := s.fakeSystem("broken", fake{exitCode: 1})
	s.setConfirmed(old)
	s.setActive(unconfirmed) // left active by something that was never confirmed
	id := s.start(broken)
	st := s.assertEnd(id, "rolled-back", old, "broken test", "old test")
	if st["previous"] != old {
		t.Errorf("previous=%q, want %q", st["previous"], old)
	}
}

func TestBootAfterACrash(t *testing.T) {
	t.Parallel()
	t.Run("before-confirmation", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		old := s.fakeSystem("old", fake{})
		next := s.fakeSystem("new", fake{})
		s.setConfirmed(old)
		id := s.start(next, "--success-timeout", "600")
		s.waitState(id, "waiting-confirmation")
		// A power loss: every process of the switch is gone at once.
		s.killGuard(id)
		s.kill(id, "runner", "KILL")
		out := s.mustSh(`bash "$S" boot`)
		if !strings.Contains(out, "boot default: "+old) {
			t.Errorf("boot printed %q", out)
		}
		st := s.assertEnd(id, "rolled-back", old, "new test", "old test")
		if !strings.Contains(st["reason"], "restarted") {
			t.Errorf("reason %q does not say the host restarted", st["reason"])
		}
	})
	t.Run("after-confirmation", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		old := s.fakeSystem("old", fake{})
		next := s.fakeSystem("new", fake{})
		s.setConfirmed(old)
		id := s.start(next, "--success-timeout", "600")
		s.waitState(id, "waiting-confirmation")
		if r := s.confirmNew(id); r.code != 0 {
			t.Fatalf("confirm: %d %s", r.code, r.stderr)
		}
		s.mustSh(`bash "$S" boot`)
		s.assertEnd(id, "success", next, "new test", "new boot", "new test")
	})
	t.Run("no-confirmed-system", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		next := s.fakeSystem("new", fake{})
		id := s.start(next, "--success-timeout", "600")
		s.waitState(id, "waiting-confirmation")
		s.killGuard(id)
		s.kill(id, "runner", "KILL")
		s.mustSh(`bash "$S" boot`)
		st := s.assertEnd(id, "failed", next, "new test")
		if !strings.Contains(st["reason"], "no confirmed system to return to") {
			t.Errorf("reason %q does not say what is left", st["reason"])
		}
	})
}

func TestSameSystemStartCarriesOn(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	id := s.start(next, "--success-timeout", "600")
	s.waitState(id, "waiting-confirmation")
	// The deployer crashed and deploys the same system again.
	r := s.sh(`bash "$S" start "$1" --success-timeout 600`, next)
	if r.code != 0 || strings.TrimSpace(r.stdout) != id || !strings.Contains(r.stderr, "carrying on") {
		t.Fatalf("second start of the same system: exit %d, id %q, stderr %q; want switch %s carried on", r.code, r.stdout, r.stderr, id)
	}
	// Another system is still refused.
	if r := s.sh(`bash "$S" start "$1"`, old); r.code != 3 {
		t.Errorf("start of another system: exit %d, want 3", r.code)
	}
	if c := s.confirmNew(id); c.code != 0 || parseStatus(c.stdout)["state"] != "success" {
		t.Fatalf("confirm: exit %d %q %q", c.code, c.stdout, c.stderr)
	}
	if want := []string{"new test", "new boot"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q (activated once)", s.calls(), want)
	}
}

// Two deployers of the same deployment: the second start comes right after the first
// deployer confirmed, before the runner moved on (held here by SIGSTOP). It carries on
// with the confirmed switch; a switch whose verdict is a rollback is not joined.
func TestSameSystemStartJoinsAConfirmedSwitch(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	// startAgain starts system once more while switch id's runner is held with the
	// verdict given, then lets the runner go on.
	startAgain := func(id, verdict, system string) result {
		s.mustSh(`d=/var/lib/nixmesh/switch/"$1"; read -r pid _ < "$d/runner"; kill -STOP "$pid"; ln -s "$2" "$d/verdict"`, id, verdict)
		defer s.mustSh(`read -r pid _ < /var/lib/nixmesh/switch/"$1"/runner; kill -CONT "$pid"`, id)
		return s.sh(`bash "$S" start "$1" --success-timeout 600`, system)
	}
	id := s.start(next, "--success-timeout", "600")
	s.waitState(id, "waiting-confirmation")
	r := startAgain(id, "confirmed", next)
	if r.code != 0 || strings.TrimSpace(r.stdout) != id || !strings.Contains(r.stderr, "carrying on") {
		t.Fatalf("start of the same system after its confirmation: exit %d, id %q, stderr %q; want switch %s carried on", r.code, r.stdout, r.stderr, id)
	}
	s.assertEnd(id, "success", next, "new test", "new boot")

	// A switch that is about to roll back (its window closed) is not joined.
	third := s.fakeSystem("third", fake{})
	id = s.start(third, "--success-timeout", "600")
	s.waitState(id, "waiting-confirmation")
	if r = startAgain(id, "timeout", third); r.code != 3 {
		t.Errorf("start of the same system while it rolls back: exit %d (stderr %q), want 3", r.code, r.stderr)
	}
	s.assertEnd(id, "rolled-back", next, "new test", "new boot", "third test", "new test")
}

func TestLateRunnerDoesNothing(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	// A switch whose start gave up on its runner; the runner comes only now.
	s.mustSh(`d=/var/lib/nixmesh/switch/7; mkdir -p "$d"
printf '%s\n' "$1" > "$d/system"; printf '%s\n' "$2" > "$d/previous"; echo switch > "$d/action"
echo 20 > "$d/success-timeout"; echo 60 > "$d/switch-timeout"; echo failed > "$d/state"
ln -s abandoned "$d/launch"
bash "$S" __run 7 >> "$d/log" 2>&1`, next, old)
	if calls := s.calls(); len(calls) != 0 {
		t.Errorf("a late runner activated: calls %q", calls)
	}
	if !strings.Contains(s.log("7"), "doing nothing") {
		t.Errorf("log: %s", s.log("7"))
	}
}

func TestDeadRunnerFromAnotherBootIsStale(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)
	// A switch recorded before a reboot: its runner record names a process that is alive
	// now with the same PID and start ticks (a coincidence after a reboot), but another
	// boot id.
	s.mustSh(`d=/var/lib/nixmesh/switch/3; mkdir -p "$d"
sleep 600 </dev/null >/dev/null 2>&1 & pid=$!
ticks=$(cut -d' ' -f22 /proc/$pid/stat)
printf '%s\n' "$1" > "$d/system"; printf '%s\n' "$2" > "$d/previous"; echo switch > "$d/action"
echo 20 > "$d/success-timeout"; echo 60 > "$d/switch-timeout"; echo waiting-confirmation > "$d/state"
ln -s runner "$d/launch"; echo "$pid $ticks 00000000-0000-0000-0000-000000000000" > "$d/runner"
echo 3 > /var/lib/nixmesh/switch/counter; ln -s 3 /var/lib/nixmesh/switch/lock; : > "$d/log"`, next, old)
	if st := s.status("3"); st["state"] != "failed" {
		t.Errorf("a runner of another boot reads as alive: %v", st)
	}
	r := s.sh(`bash "$S" start "$1" --success-timeout 60`, next)
	if r.code != 0 {
		t.Fatalf("start over the lock of another boot: exit %d %s", r.code, r.stderr)
	}
}

// 20 confirmed switches in a row with --keep 3: no more than 3 generations and switch
// directories stay, and no runner or guard is left running.
func TestTwentySwitchesLeaveNothingBehind(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	a := s.fakeSystem("a", fake{})
	b := s.fakeSystem("b", fake{})
	s.setConfirmed(a)
	const n, keep = 20, 3
	last := ""
	for i := 0; i < n; i++ {
		sys := b
		if i%2 == 1 {
			sys = a
		}
		id := s.start(sys, "--success-timeout", "600", "--keep", strconv.Itoa(keep))
		s.waitState(id, "waiting-confirmation")
		if r := s.confirmNew(id); r.code != 0 {
			t.Fatalf("confirm %s: %d %s", id, r.code, r.stderr)
		}
		last = sys
	}
	gens := strings.Fields(s.mustSh(`cd /nix/var/nix/profiles && ls -d system-*-link`))
	if len(gens) != keep {
		t.Errorf("profile generations left: %q, want the newest %d", gens, keep)
	}
	dirs := strings.Fields(s.mustSh(`cd /var/lib/nixmesh/switch && ls -d [0-9]* | sort -n`))
	var want []string
	for i := n - keep + 1; i <= n; i++ {
		want = append(want, strconv.Itoa(i))
	}
	if !equalLists(dirs, want) {
		t.Errorf("switch directories left: %q, want %q", dirs, want)
	}
	if got := s.readlink(profilePath); got != last {
		t.Errorf("profile -> %q, want %q", got, last)
	}
	// Runners and guards end with their switch (allow them a moment to exit).
	left := ""
	for bound := time.Now().Add(10 * time.Second); time.Now().Before(bound); time.Sleep(100 * time.Millisecond) {
		left = strings.TrimSpace(s.mustSh(`for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' < "$f" 2>/dev/null | grep -E -- '__(run|guard) ' ; done; true`))
		if left == "" {
			break
		}
	}
	if left != "" {
		t.Errorf("processes left after %d switches:\n%s", n, left)
	}
}
