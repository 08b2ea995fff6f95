package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const lockPath = "/var/lib/nixmesh/switch/lock"
const profilePath = "/nix/var/nix/profiles/system"

func TestConfirmedSwitchBecomesPermanent(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)

	id := s.start(next, "--success-timeout", "60")
	if id != "1" {
		t.Fatalf("first switch id = %q, want 1", id)
	}
	waiting := s.waitState(id, "waiting-confirmation")
	if waiting["previous"] != old || waiting["system"] != next || waiting["action"] != "switch" {
		t.Fatalf("status while waiting: %v", waiting)
	}
	if got := s.readlink(profilePath); got != old {
		t.Fatalf("the profile moved to %q before the confirmation", got)
	}

	r := s.confirmNew(id)
	if r.code != 0 {
		t.Fatalf("confirm exited %d: %s\n%s", r.code, r.stderr, s.log(id))
	}
	st := parseStatus(r.stdout)
	if st["state"] != "success" {
		t.Fatalf("confirm printed %v, want state=success", st)
	}
	if !strings.HasPrefix(st["confirmed-by"], "ssh session process ") {
		t.Errorf("confirmed-by = %q", st["confirmed-by"])
	}
	if got := s.readlink(profilePath); got != next {
		t.Errorf("system profile -> %q, want %q", got, next)
	}
	if want := []string{"new test", "new boot"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q", s.calls(), want)
	}
	if s.exists(lockPath) {
		t.Errorf("the lock is still held after success")
	}
	// A second confirmation of a finished switch changes nothing and says so.
	if again := s.confirmNew(id); again.code != 0 || parseStatus(again.stdout)["state"] != "success" {
		t.Errorf("second confirm: exit %d, %q", again.code, again.stdout)
	}
	// status without an id is the latest switch; status and log need no root.
	latest := parseStatus(s.mustSh(`setpriv --reuid=65534 --regid=65534 --clear-groups bash "$S" status`))
	if latest["id"] != id || latest["state"] != "success" || latest["finished"] == "" {
		t.Errorf("status as nobody: %v", latest)
	}
	logText := s.mustSh(`setpriv --reuid=65534 --regid=65534 --clear-groups bash "$S" log "$1"`, id)
	if !strings.Contains(logText, "confirm accepted") || !strings.Contains(logText, "switch-to-configuration boot") {
		t.Errorf("log lacks the confirmation or the boot step:\n%s", logText)
	}
}

func TestActionTestAndBoot(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)

	// test: activated and confirmed, never made the boot default.
	id := s.start(next, "--action", "test", "--success-timeout", "60")
	s.waitState(id, "waiting-confirmation")
	if r := s.confirmNew(id); r.code != 0 || parseStatus(r.stdout)["state"] != "success" {
		t.Fatalf("confirm (action test): exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	if got := s.readlink(profilePath); got != old {
		t.Errorf("action test moved the system profile to %q", got)
	}
	if want := []string{"new test"}; !equalLists(s.calls(), want) {
		t.Errorf("calls after action test = %q, want %q", s.calls(), want)
	}

	// boot: nothing activated, the profile and boot default set at once.
	id = s.start(old, "--action", "boot")
	st := s.waitState(id, "success", "failed", "rolled-back")
	if st["state"] != "success" {
		t.Fatalf("action boot ended %v\n%s", st, s.log(id))
	}
	if got := s.readlink(profilePath); got != old {
		t.Errorf("system profile -> %q, want %q", got, old)
	}
	if want := []string{"new test", "old boot"}; !equalLists(s.calls(), want) {
		t.Errorf("calls after action boot = %q, want %q", s.calls(), want)
	}
}

func TestNoConfirmationRollsBack(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	s.setConfirmed(old)

	const timeout = 2
	id := s.start(next, "--success-timeout", "2")
	st := s.waitState(id, "rolled-back", "failed", "success")
	if st["state"] != "rolled-back" {
		t.Fatalf("state %v, want rolled-back\n%s", st, s.log(id))
	}
	if !strings.Contains(st["reason"], "no confirmation within 2s") {
		t.Errorf("reason = %q", st["reason"])
	}
	waited := elapsed(t, st["waiting-since"], st["finished"])
	// Timestamps have one-second resolution: allow one second less, and generous slack.
	if waited < (timeout-1)*time.Second || waited > (timeout+15)*time.Second {
		t.Errorf("rolled back %v after waiting began, want about %ds", waited, timeout)
	}
	if want := []string{"new test", "old test"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q (the previous system re-activated)", s.calls(), want)
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != old {
		t.Errorf("active system %q, want the previous %q", got, old)
	}
	if got := s.readlink(profilePath); got != old {
		t.Errorf("the profile moved to %q without a confirmation", got)
	}
	if s.exists(lockPath) {
		t.Errorf("the lock is still held after the rollback")
	}
	// Too late: a confirmation after the rollback is refused with exit 6.
	if r := s.confirmNew(id); r.code != 6 || parseStatus(r.stdout)["state"] != "rolled-back" {
		t.Errorf("late confirm: exit %d, %q, want 6 and rolled-back", r.code, r.stdout)
	}
}

func elapsed(t *testing.T, from, to string) time.Duration {
	t.Helper()
	a, err := time.Parse(time.RFC3339, from)
	if err != nil {
		t.Fatalf("timestamp %q: %v", from, err)
	}
	b, err := time.Parse(time.RFC3339, to)
	if err != nil {
		t.Fatalf("timestamp %q: %v", to, err)
	}
	return b.Sub(a)
}

func TestFailingActivationRollsBack(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{exitCode: 3})
	s.setConfirmed(old)

	id := s.start(next)
	st := s.waitState(id, "rolled-back", "failed", "success")
	if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "exited with code 3") {
		t.Fatalf("status %v, want rolled-back naming exit code 3", st)
	}
	if st["waiting-since"] != "" {
		t.Errorf("a failed activation waited for a confirmation (waiting-since=%s)", st["waiting-since"])
	}
	if want := []string{"new test", "old test"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q", s.calls(), want)
	}
	if logText := s.log(id); !strings.Contains(logText, "activation of new breaks") {
		t.Errorf("the activation's output is not in the log:\n%s", logText)
	}
}

func TestActivationTimeoutRollsBack(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{hang: true})
	s.setConfirmed(old)

	id := s.start(next, "--switch-timeout", "1")
	st := s.waitState(id, "rolled-back", "failed", "success")
	if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "did not finish within 1s") {
		t.Fatalf("status %v, want rolled-back for the switch timeout", st)
	}
	if want := []string{"new test", "old test"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q", s.calls(), want)
	}
}

func TestNoPreviousSystemFails(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	next := s.fakeSystem("new", fake{exitCode: 1})

	id := s.start(next)
	st := s.waitState(id, "rolled-back", "failed", "success")
	if st["state"] != "failed" || !strings.Contains(st["reason"], "no confirmed system to return to") || st["previous"] != "" {
		t.Fatalf("status %v, want failed for lack of a previous system", st)
	}
}

func TestSecondStartIsRefused(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{gated: true})
	s.setConfirmed(old)

	id := s.start(next, "--success-timeout", "1")
	s.waitState(id, "activating")
	r := s.sh(`bash "$S" start "$1"`, old)
	if r.code != 3 || !strings.Contains(r.stderr, "switch "+id+" is running") {
		t.Fatalf("second start: exit %d, stderr %q; want 3 naming switch %s", r.code, r.stderr, id)
	}
	s.release("new")
	s.waitState(id, "rolled-back")
	// The lock is free again: the next start gets the next id.
	if next := s.start(old, "--action", "test", "--success-timeout", "1"); next != "2" {
		t.Errorf("start after the first switch ended: id %q, want 2", next)
	}
}

func TestRunnerSurvivesSessionDeath(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{gated: true})
	s.setConfirmed(old)

	// An "SSH session": its own session and process group, which runs start and stays.
	s.mustSh(`setsid bash -c 'echo $$ > "$D/session.pid"; bash "$S" start "$1" --success-timeout 1 > "$D/start.out"; exec sleep infinity' session "$1" </dev/null >/dev/null 2>&1 &`, next)
	id := ""
	for bound := time.Now().Add(60 * time.Second); id == ""; time.Sleep(50 * time.Millisecond) {
		out, _ := os.ReadFile(filepath.Join(s.dir, "start.out"))
		id = strings.TrimSpace(string(out))
		if id == "" && time.Now().After(bound) {
			t.Fatal("start never printed an id")
		}
	}
	s.waitState(id, "activating")
	// The connection dies: every process of the session's group is killed at once.
	s.mustSh(`pgid=$(cat "$D/session.pid"); kill -KILL -- "-$pgid"; while [ -e /proc/"$pgid" ] && [ "$(cut -d' ' -f3 /proc/"$pgid"/stat)" != Z ]; do sleep 0.05; done`)
	s.release("new")
	st := s.waitState(id, "rolled-back", "failed", "success")
	if st["state"] != "rolled-back" || !strings.Contains(st["reason"], "no confirmation") {
		t.Fatalf("status %v, want the runner to carry on and roll back", st)
	}
	if want := []string{"new test", "old test"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q", s.calls(), want)
	}
}

func TestConfirmOverOldConnectionIsRejected(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{gated: true})
	s.setConfirmed(old)

	id := s.start(next, "--success-timeout", "60")
	s.waitState(id, "activating")
	// While the activation runs, open a "connection" that will confirm only later, as a
	// shared (ControlMaster) connection would.
	s.mustSh(`"$SSHD" -c 'while [ ! -e "$D/go" ]; do sleep 0.05; done; bash "$S" confirm "$1" > "$D/old.out" 2> "$D/old.err"; echo $? > "$D/old.rc"' sshd "$1" </dev/null >/dev/null 2>&1 &`, id)
	// Before the activation finishes, even a new connection cannot confirm.
	if r := s.confirmNew(id); r.code != 5 {
		t.Errorf("confirm during the activation: exit %d, want 5 (%s)", r.code, r.stderr)
	}
	s.release("new")
	s.waitState(id, "waiting-confirmation")

	if err := os.WriteFile(filepath.Join(s.dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var rc []byte
	for bound := time.Now().Add(60 * time.Second); len(rc) == 0; time.Sleep(50 * time.Millisecond) {
		rc, _ = os.ReadFile(filepath.Join(s.dir, "old.rc"))
		if len(rc) == 0 && time.Now().After(bound) {
			t.Fatal("the old connection's confirm never finished")
		}
	}
	oldErr, _ := os.ReadFile(filepath.Join(s.dir, "old.err"))
	if strings.TrimSpace(string(rc)) != "5" || !strings.Contains(string(oldErr), "opened before the activation") {
		t.Fatalf("confirm over the old connection: exit %s, %s; want 5", rc, oldErr)
	}
	if st := s.status(id); st["state"] != "waiting-confirmation" {
		t.Fatalf("after the rejected confirm the switch is %v, want still waiting", st)
	}

	// Not over SSH at all: rejected.
	if r := s.sh(`bash "$S" confirm "$1"`, id); r.code != 5 || !strings.Contains(r.stderr, "must run over SSH") {
		t.Errorf("confirm without SSH: exit %d, %q; want 5", r.code, r.stderr)
	}

	r := s.confirmNew(id)
	if r.code != 0 || parseStatus(r.stdout)["state"] != "success" {
		t.Fatalf("confirm over a new connection: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if got := s.readlink(profilePath); got != next {
		t.Errorf("system profile -> %q, want %q", got, next)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, c := range []struct {
		script string
		code   int
	}{
		{`bash "$S" frobnicate`, 2},
		{`bash "$S" start`, 2},
		{`bash "$S" start /nonexistent`, 2},
		{`bash "$S" start "$D" --action reboot`, 2},
		{`bash "$S" status 42`, 4},
		{`bash "$S" status`, 4},
		{`bash "$S" confirm 42`, 4},
		{`bash "$S" log 42`, 4},
	} {
		if r := s.sh(c.script); r.code != c.code {
			t.Errorf("%s: exit %d, want %d (%s)", c.script, r.code, c.code, r.stderr)
		}
	}
}

// The same rule with a real OpenSSH server: a session multiplexed over a connection
// opened before the activation (ControlMaster) cannot confirm; a fresh one can.
func TestConfirmOverRealSSH(t *testing.T) {
	t.Parallel()
	requireSSH(t)
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{gated: true})
	s.setConfirmed(old)

	s.startSSHD()
	ssh := func(opts, remote string) result {
		return s.sh(`ssh -F "$D/ssh_config" `+opts+` lab "$1"`, remote)
	}
	if r := ssh("-o ControlMaster=no -o ControlPath=none", "true"); r.code != 0 {
		t.Fatalf("ssh to the sandbox's sshd does not work: %d %s", r.code, r.stderr)
	}

	id := s.start(next, "--success-timeout", "60")
	s.waitState(id, "activating")
	// A shared connection, opened while the activation runs.
	if r := ssh(`-o ControlMaster=yes -o ControlPath="$D/ctl" -o ControlPersist=600`, "true"); r.code != 0 {
		t.Fatalf("opening the shared connection: %d %s", r.code, r.stderr)
	}
	s.release("new")
	s.waitState(id, "waiting-confirmation")

	confirm := "bash " + s.script + " confirm " + id
	shared := ssh(`-o ControlMaster=no -o ControlPath="$D/ctl"`, confirm)
	if shared.code != 5 || !strings.Contains(shared.stderr, "opened before the activation") {
		t.Fatalf("confirm over the shared connection: exit %d, %q; want 5", shared.code, shared.stderr)
	}
	fresh := ssh("-o ControlMaster=no -o ControlPath=none", confirm)
	if fresh.code != 0 || parseStatus(fresh.stdout)["state"] != "success" {
		t.Fatalf("confirm over a new connection: exit %d, %q %q", fresh.code, fresh.stdout, fresh.stderr)
	}
	if by := parseStatus(fresh.stdout)["confirmed-by"]; !strings.Contains(by, "127.0.0.1") {
		t.Errorf("confirmed-by %q does not name the SSH connection", by)
	}
}

// wait blocks while the switch is in a passing state, returns with the new status once it
// changes, returns at once for a resting state (waiting for a confirmation, or final), and
// gives up cleanly at its --timeout. The bounds below only keep a broken switcher from
// hanging the test; no assertion depends on how long anything takes.
func TestWait(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{gated: true})
	s.setConfirmed(old)

	id := s.start(next, "--success-timeout", "60")
	s.waitState(id, "activating")

	// The activation is held by its gate, so the state cannot change: wait times out,
	// with exit 0 and the unchanged status (as nobody: wait needs no root).
	r := s.sh(`timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups bash "$S" wait "$1" --timeout 1`, id)
	if st := parseStatus(r.stdout); r.code != 0 || st["state"] != "activating" || st["id"] != id {
		t.Fatalf("wait while the activation is held: exit %d, %q %q; want 0 and state activating", r.code, r.stdout, r.stderr)
	}

	// A wait that is blocked when the state changes returns with the new state.
	s.mustSh(`{ timeout 60 bash "$S" wait "$1" --timeout 600 > "$D/wait.out"; echo $? > "$D/wait.rc"; } </dev/null >/dev/null 2>&1 &`, id)
	s.release("new")
	rc := s.waitFile("wait.rc")
	out, _ := os.ReadFile(filepath.Join(s.dir, "wait.out"))
	if st := parseStatus(string(out)); rc != "0" || st["state"] != "waiting-confirmation" {
		t.Fatalf("wait across the end of the activation: exit %s, %q; want 0 and state waiting-confirmation", rc, out)
	}

	// Resting states answer at once: the timeout guard (124) must not fire.
	if r := s.sh(`timeout 60 bash "$S" wait "$1" --timeout 600`, id); r.code != 0 || parseStatus(r.stdout)["state"] != "waiting-confirmation" {
		t.Fatalf("wait while waiting for a confirmation: exit %d, %q", r.code, r.stdout)
	}
	if c := s.confirmNew(id); c.code != 0 || parseStatus(c.stdout)["state"] != "success" {
		t.Fatalf("confirm: exit %d, %q %q", c.code, c.stdout, c.stderr)
	}
	if r := s.sh(`timeout 60 bash "$S" wait "$1" --timeout 600`, id); r.code != 0 || parseStatus(r.stdout)["state"] != "success" {
		t.Fatalf("wait after success: exit %d, %q", r.code, r.stdout)
	}

	for _, c := range []struct {
		args string
		code int
	}{
		{`42`, 4},
		{`42 --timeout 5`, 4},
		{``, 2},
		{id + ` --timeout 0`, 2},
		{id + ` --timeout soon`, 2},
		{id + ` --timeout`, 2},
		{id + ` --until success`, 2},
		{id + ` --resting --timeout`, 2},
		{id + ` --resting=1`, 2},
		{id + ` ` + id, 2},
	} {
		if r := s.sh(`bash "$S" wait ` + c.args); r.code != c.code {
			t.Errorf("wait %s: exit %d, want %d (%s)", c.args, r.code, c.code, r.stderr)
		}
	}
}

// wait --resting blocks through every passing state (here activating, then rolling
// back) until the switch rests: one command where a plain wait returns at each change.
func TestWaitResting(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{gated: true})
	next := s.fakeSystem("new", fake{gated: true, exitCode: 1})
	s.setConfirmed(old)

	id := s.start(next, "--success-timeout", "60")
	s.waitState(id, "activating")
	s.mustSh(`{ echo 1 > "$D/plain.started"; timeout 60 bash "$S" wait "$1" --timeout 600 > "$D/plain.out"; echo $? > "$D/plain.rc"; } </dev/null >/dev/null 2>&1 &`, id)
	s.mustSh(`{ echo 1 > "$D/resting.started"; timeout 60 bash "$S" wait "$1" --resting --timeout 600 > "$D/resting.out"; echo $? > "$D/resting.rc"; } </dev/null >/dev/null 2>&1 &`, id)

	// Both waits must have read "activating" before it changes: a plain wait that starts
	// late (a loaded machine) sees rolling-back first and waits for the next change,
	// which the old system's gate holds. Each says when it runs; then a second for its
	// first read.
	s.waitFile("plain.started")
	s.waitFile("resting.started")
	time.Sleep(time.Second)
	// The new system's activation fails; the rollback to the old one is held by its gate.
	s.release("new")
	if rc := s.waitFile("plain.rc"); rc != "0" {
		t.Fatalf("plain wait: exit %s", rc)
	}
	if out, _ := os.ReadFile(filepath.Join(s.dir, "plain.out")); parseStatus(string(out))["state"] != "rolling-back" {
		t.Fatalf("plain wait returned %q; want state rolling-back", out)
	}
	// Still rolling back: the resting wait has nothing to return yet (it reads the state
	// every 50 ms; a second is plenty for a broken one to have answered).
	time.Sleep(time.Second)
	if data, err := os.ReadFile(filepath.Join(s.dir, "resting.out")); err == nil && len(data) > 0 {
		t.Fatalf("wait --resting returned while the switch was rolling back: %q", data)
	}
	s.release("old")
	if rc := s.waitFile("resting.rc"); rc != "0" {
		t.Fatalf("wait --resting: exit %s", rc)
	}
	if out, _ := os.ReadFile(filepath.Join(s.dir, "resting.out")); parseStatus(string(out))["state"] != "rolled-back" {
		t.Fatalf("wait --resting returned %q; want state rolled-back", out)
	}
	// At rest it answers at once.
	if r := s.sh(`timeout 60 bash "$S" wait "$1" --resting --timeout 600`, id); r.code != 0 || parseStatus(r.stdout)["state"] != "rolled-back" {
		t.Fatalf("wait --resting after the rollback: exit %d, %q", r.code, r.stdout)
	}
}

// waitFile returns the trimmed contents of the test directory's file name once it is not
// empty. The bound only keeps a broken switcher from hanging the test.
func (s *sandbox) waitFile(name string) string {
	s.t.Helper()
	for bound := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(filepath.Join(s.dir, name))
		if v := strings.TrimSpace(string(data)); v != "" {
			return v
		}
		if time.Now().After(bound) {
			s.t.Fatalf("%s was never written", name)
		}
	}
}

// A rollback on demand (`start SYSTEM --generation N`, what `nixmesh rollback` sends):
// SYSTEM must be generation N of the profile, and action test is refused (it leaves the
// profile alone). Confirmed, N becomes the profile's current generation again: no
// generation is added and the newer ones stay. A generation that does not activate
// rolls back to the last confirmed system, the profile untouched; one whose bootloader
// step fails leaves the generation that was current, and keeps the other.
func TestRollbackToGeneration(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	old := s.fakeSystem("old", fake{})
	next := s.fakeSystem("new", fake{})
	broken := s.fakeSystem("broken", fake{exitCode: 1})
	noBoot := s.fakeSystem("noboot", fake{bootExit: 1, bootOutput: "grub-install: error: no such device"})
	s.setConfirmed(old)  // generation 1
	s.setConfirmed(next) // generation 2, the current one
	// Generations 3 and 4 are on the host without ever having run; 2 is current again.
	s.mustSh(`nix-env -p /nix/var/nix/profiles/system --set "$1" && nix-env -p /nix/var/nix/profiles/system --set "$2" && nix-env -p /nix/var/nix/profiles/system --switch-generation 2`, broken, noBoot)
	generation := func() string {
		return strings.TrimSpace(s.mustSh(`readlink /nix/var/nix/profiles/system`))
	}
	links := func() string {
		return strings.TrimSpace(s.mustSh(`cd /nix/var/nix/profiles && ls -d system-*-link | sort -V | tr '\n' ' '`))
	}
	const allFour = "system-1-link system-2-link system-3-link system-4-link"

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{old, "--generation", "2"}, "generation 2 of /nix/var/nix/profiles/system is " + next + ", not " + old},
		{[]string{old, "--generation", "9"}, "generation 9 of /nix/var/nix/profiles/system is missing"},
		{[]string{old, "--generation", "1", "--action", "test"}, "action test leaves the profile alone"},
		{[]string{old, "--generation", "x"}, "--generation must be a generation number"},
	} {
		r := s.sh(`bash "$S" start "$@"`, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("start %q: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if s.exists(lockPath) || generation() != "system-2-link" {
		t.Fatalf("a refused start took the lock or moved the profile (%s)", generation())
	}

	id := s.start(old, "--generation", "1", "--success-timeout", "60")
	s.waitState(id, "waiting-confirmation")
	if generation() != "system-2-link" {
		t.Errorf("the profile moved before the confirmation: %s", generation())
	}
	if r := s.confirmNew(id); r.code != 0 || parseStatus(r.stdout)["state"] != "success" {
		t.Fatalf("confirm: exit %d, %s %s\n%s", r.code, r.stdout, r.stderr, s.log(id))
	}
	if generation() != "system-1-link" || links() != allFour {
		t.Errorf("after the rollback to 1: profile %s, generations %q; want system-1-link and %q", generation(), links(), allFour)
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != old {
		t.Errorf("running %s, want %s", got, old)
	}
	if want := []string{"old test", "old boot"}; !equalLists(s.calls(), want) {
		t.Errorf("calls = %q, want %q", s.calls(), want)
	}

	// Generation 3 does not activate: back to old (the last confirmed), profile on 1.
	id = s.start(broken, "--generation", "3", "--success-timeout", "60")
	if st := s.waitState(id, "rolled-back", "failed", "success"); st["state"] != "rolled-back" {
		t.Errorf("generation 3: %v, want rolled-back\n%s", st, s.log(id))
	}
	if generation() != "system-1-link" || links() != allFour || s.readlink("/var/lib/nixmesh/current-system") != old {
		t.Errorf("after the failed rollback to 3: profile %s, generations %q, running %s", generation(), links(), s.readlink("/var/lib/nixmesh/current-system"))
	}

	// Generation 4's bootloader step fails (action boot): generation 1 is current again,
	// 4 stays (it is the user's, not one this switch added).
	id = s.start(noBoot, "--generation", "4", "--action", "boot")
	st := s.waitState(id, "success", "failed", "rolled-back")
	if st["state"] != "failed" || !strings.Contains(st["reason"], "grub-install: error: no such device") {
		t.Errorf("generation 4, action boot: %v, want failed with the bootloader's words\n%s", st, s.log(id))
	}
	if generation() != "system-1-link" || links() != allFour {
		t.Errorf("after the failed boot of 4: profile %s, generations %q; want system-1-link and %q", generation(), links(), allFour)
	}
}
