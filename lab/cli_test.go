package lab

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

// The tests here run the nixmesh binary, as an operator would, and kill `lab up` to see
// that `lab down` cleans up after a crash.

// buildNixmesh builds cmd/nixmesh into a directory everyone can read.
func buildNixmesh(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "nixmesh-lab-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "nixmesh")
	out, err := command.Output(testContext(t), command.Cmd{
		Argv: []string{"go", "build", "-o", bin, "./cmd/nixmesh"},
		Dir:  testutil.RepoRoot(),
	})
	if err != nil {
		t.Fatalf("go build ./cmd/nixmesh: %v\n%s%s", err, out, stderrOf(err))
	}
	return bin
}

var subreaperOnce sync.Once

// becomeSubreaper makes the test process adopt the orphans of the `lab up` it kills (the
// hosts' inits), so that it can reap them once `lab down` has killed them, whatever the
// machine's PID 1 does with orphans.
func becomeSubreaper(t *testing.T) {
	subreaperOnce.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			t.Logf("PR_SET_CHILD_SUBREAPER: %v", err)
		}
	})
}

// reap collects exited inits that were adopted by this process.
func reap(pids []Proc) {
	for _, p := range pids {
		var ws unix.WaitStatus
		_, _ = unix.Wait4(p.PID, &ws, unix.WNOHANG, nil)
	}
}

// freeSubnet returns a random test subnet that overlaps no route right now.
func freeSubnet(t *testing.T) string {
	for range 50 {
		s := randomSubnet()
		if CheckSubnet(context.Background(), s) == nil {
			return s.String()
		}
	}
	t.Fatal("no free test subnet")
	return ""
}

// startLabUp starts `nixmesh lab up ARGS...` and returns it with a channel of its stdout lines.
func startLabUp(t *testing.T, bin string, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"lab", "up"}, args...)...)
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			t.Logf("lab up: %s", sc.Text())
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, lines
}

// waitLine waits for a line containing s.
func waitLine(t *testing.T, lines <-chan string, s string) {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("lab up ended before printing %q", s)
			}
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("lab up did not print %q", s)
		}
	}
}

// nixmesh runs the binary and returns its stdout; it fails the test on a non-zero exit.
func nixmesh(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := command.Output(testContext(t), command.Cmd{Argv: append([]string{bin}, args...)})
	if err != nil {
		t.Fatalf("nixmesh %s: %v\n%s%s", strings.Join(args, " "), err, out, stderrOf(err))
	}
	return string(out)
}

// killAndFootprint SIGKILLs `lab up` and returns what its lab had made by then.
func killAndFootprint(t *testing.T, cmd *exec.Cmd, name string, hosts int) *footprint {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := Open(name)
	if err != nil {
		t.Fatalf("Open after the crash: %v", err)
	}
	fp := footprintOf(l)
	// Every name the lab could have used, recorded or not.
	fp.hosts, fp.links = nil, []string{bridgeName(name)}
	for i, h := range NumberedHosts(hosts) {
		fp.hosts = append(fp.hosts, h.Name)
		fp.links = append(fp.links, vethName(name, i+1))
	}
	return fp
}

func TestCLICrashAfterReady(t *testing.T) {
	requireLab(t)
	testutil.RequireNix(t)
	becomeSubreaper(t)
	t.Parallel()
	bin := buildNixmesh(t)
	name := uniqueName()
	t.Cleanup(func() { _ = Down(context.Background(), name) })
	nixFile := filepath.Join(t.TempDir(), "lab-hosts.nix")
	cmd, lines := startLabUp(t, bin, "--name", name, "--hosts", "3", "--subnet", freeSubnet(t),
		"--write-nix", nixFile, "--foreground")
	waitLine(t, lines, "ready;")

	l, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	checkNixFile(t, nixFile, l.Hosts())
	if out := nixmesh(t, bin, "lab", "ssh", "--name", name, "host2", "--", "hostname"); strings.TrimSpace(out) != "host2" {
		t.Errorf("lab ssh host2 -- hostname: %q", out)
	}
	// The remote command's exit status is nixmesh's, with no message of nixmesh's own.
	_, err = command.Output(testContext(t), command.Cmd{Argv: []string{bin, "lab", "ssh", "--name", name, "host1", "--", "exit", "7"}})
	var pe *command.ProcessError
	if !errors.As(err, &pe) || pe.ExitCode != 7 || strings.Contains(pe.Stderr, "error") {
		t.Errorf("lab ssh host1 -- exit 7: %v (stderr %q), want exit status 7 and no error message", err, stderrOf(err))
	}
	if out := nixmesh(t, bin, "lab", "status", "--name", name); strings.Count(out, " ok") != 3 {
		t.Errorf("lab status:\n%s", out)
	}

	fp := killAndFootprint(t, cmd, name, 3)
	// The hosts outlive `lab up`.
	for _, s := range l.Status(testContext(t)) {
		if !s.InitAlive || s.SSH != nil {
			t.Errorf("after lab up died: %s: init %v, ssh %v", s.Name, s.InitAlive, s.SSH)
		}
	}
	if out := nixmesh(t, bin, "lab", "down", "--name", name); !strings.Contains(out, "is down") {
		t.Errorf("lab down: %q", out)
	}
	reap(fp.pids)
	fp.assertGone(t)
	if out := nixmesh(t, bin, "lab", "down", "--name", name); !strings.Contains(out, "not up") {
		t.Errorf("second lab down: %q", out)
	}
}

func TestCLICrashDuringSetup(t *testing.T) {
	requireLab(t)
	becomeSubreaper(t)
	t.Parallel()
	bin := buildNixmesh(t)
	name := uniqueName()
	t.Cleanup(func() { _ = Down(context.Background(), name) })
	cmd, lines := startLabUp(t, bin, "--name", name, "--hosts", "8", "--parallel", "2", "--subnet", freeSubnet(t))
	waitLine(t, lines, ": up (")
	fp := killAndFootprint(t, cmd, name, 8)
	if l, _ := Open(name); l.Ready() {
		t.Log("lab up finished before it was killed; the crash was not mid-setup")
	}
	if out := nixmesh(t, bin, "lab", "down", "--name", name); !strings.Contains(out, "is down") {
		t.Errorf("lab down: %q", out)
	}
	time.Sleep(100 * time.Millisecond) // inits that saw lab up die exit on their own
	reap(fp.pids)
	fp.assertGone(t)
}

func TestCLINeedsRoot(t *testing.T) {
	requireLab(t)
	t.Parallel()
	bin := buildNixmesh(t)
	cmd := exec.Command(bin, "lab", "up", "--hosts", "1")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "needs root") {
		t.Errorf("lab up as nobody: %v, stderr %q", err, stderr.String())
	}
}
