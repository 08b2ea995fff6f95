package lab

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Crash takes every process of the host with it and its link; Boot brings it back over
// the same disk with empty /run and /tmp, reachable over SSH with the same host key.
func TestCrashAndBoot(t *testing.T) {
	requireLab(t)
	l := upLab(t, Config{Hosts: NumberedHosts(2)})
	ctx := testContext(t)
	h, _ := l.Host("host1")

	hostRun(t, l, "host1", "sh", "-c", "echo kept > /var/lib/disk-file && echo lost > /run/run-file && (setsid sleep 600 </dev/null >/dev/null 2>&1 &)")
	oldInit := l.InitPID("host1")
	if err := l.Crash(ctx, "host1"); err != nil {
		t.Fatalf("Crash: %v", err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(oldInit)); err == nil {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(oldInit) + "/cmdline"); strings.HasPrefix(string(b), initArgv0) {
			t.Fatalf("the init (pid %d) survived the crash", oldInit)
		}
	}
	if _, err := l.Exec(ctx, "host1", "true"); err == nil {
		t.Fatal("a command ran on a crashed host")
	}
	addr := net.JoinHostPort(h.Address.String(), strconv.Itoa(h.Port))
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the crashed host still answers on port 22")
	}
	// The other host is untouched.
	hostRun(t, l, "host2", "true")
	if err := l.Crash(ctx, "host1"); err == nil {
		t.Error("crashing a crashed host did not fail")
	}

	out, err := l.Boot(ctx, "host1")
	if err != nil {
		t.Fatalf("Boot: %v\n%s", err, out)
	}
	if !strings.Contains(out, "nothing to activate") {
		t.Errorf("boot output on a host without a system profile: %q", out)
	}
	if got := hostRun(t, l, "host1", "cat", "/var/lib/disk-file"); got != "kept" {
		t.Errorf("disk file after the boot: %q", got)
	}
	if got := hostRun(t, l, "host1", "sh", "-c", "ls /run/run-file 2>&1 || true"); !strings.Contains(got, "No such file") {
		t.Errorf("/run survived the crash: %q", got)
	}
	if got := hostRun(t, l, "host1", "sh", "-c", "pgrep -x sleep || true"); got != "" {
		t.Errorf("a process survived the crash: %q", got)
	}
	// SSH with the lab's known_hosts: the host key is the same.
	argv, err := l.SSHArgs("host1", "hostname")
	if err != nil {
		t.Fatal(err)
	}
	if got := hostRun(t, l, "host2", "true"); got != "" {
		t.Errorf("host2: %q", got)
	}
	sshOut := runSSH(t, argv)
	if sshOut != "host1" {
		t.Errorf("ssh after boot: %q", sshOut)
	}
	if _, err := l.Boot(ctx, "host1"); err == nil {
		t.Error("booting a running host did not fail")
	}
}

// runSSH runs the system ssh with argv and returns its trimmed stdout.
func runSSH(t *testing.T, argv []string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, stderrOf(err))
	}
	return strings.TrimSpace(string(out))
}
