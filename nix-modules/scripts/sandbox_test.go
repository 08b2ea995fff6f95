package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// A sandbox is a private mount, PID and network namespace in which the switcher runs as
// it would on a host: tmpfs over /var/lib, /run, /nix/var/nix/profiles and /root, so
// nothing it writes reaches this machine's real state (nor does a session over its sshd
// run this machine's ~/.bashrc); its own /proc, so its process checks see
// only the sandbox; its own loopback, for a real sshd. The namespace's init is a child
// of `unshare --kill-child`; killing unshare (at cleanup, or when the test binary dies,
// through Pdeathsig) ends every process in the sandbox and with them the mounts.
type sandbox struct {
	t      *testing.T
	dir    string // the test's own directory, outside the sandbox's tmpfs mounts
	nsPID  int    // the sandbox's init, as this machine sees it (for nsenter)
	script string // path of the switcher (scripts/switcher/bin/nixmesh-switch)
}

// The sandbox's init: mount the private state, say so, then reap orphans until killed
// (a runner whose parent exited is re-parented to it).
const sandboxInit = `set -e
ip link set lo up
mount -t tmpfs tmpfs /var/lib
mkdir -p /var/lib/nixmesh
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /nix/var/nix/profiles
mount -t tmpfs tmpfs /root
echo ready
exec >/dev/null 2>&1
while :; do sleep 3600 & wait; done
`

func requireSandbox(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t)
	testutil.RequireCommands(t, "bash", "unshare", "nsenter", "setsid", "nohup", "flock", "timeout", "setpriv", "ip")
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "nix-env")
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	requireSandbox(t)
	dir := t.TempDir()

	cmd := exec.Command("unshare", "--mount", "--pid", "--net", "--fork", "--kill-child", "--mount-proc",
		"bash", "-c", sandboxInit)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	nsPID := 0
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // --kill-child takes the whole PID namespace with it
		_ = cmd.Wait()
		// ...but not at once: the namespace's init (and with it every process in the
		// namespace, a runner writing into dir) dies after unshare. Wait for it, so that
		// removing dir does not race a last write.
		for deadline := time.Now().Add(10 * time.Second); nsPID > 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			// Gone, or a zombie: it exits only after the namespace's other processes.
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", nsPID))
			if i := bytes.LastIndexByte(stat, ')'); err != nil || (i > 0 && i+2 < len(stat) && stat[i+2] == 'Z') {
				break
			}
		}
	})
	line := make([]byte, len("ready\n"))
	if _, err := out.Read(line); err != nil || string(line) != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the sandbox did not come up (%q, %v): %s", line, err, stderr.String())
	}
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	nsPID, err = strconv.Atoi(strings.TrimSpace(string(children)))
	if err != nil {
		t.Fatalf("finding the sandbox's init among %q: %v", children, err)
	}

	s := &sandbox{t: t, dir: dir, nsPID: nsPID,
		script: filepath.Join(testutil.NixModules(), "scripts", "switcher", "bin", "nixmesh-switch")}
	// A stand-in for an SSH server's per-connection process: the switcher recognises
	// sshd by its process name, and a symlink named sshd gives bash that name.
	if err := os.Symlink("/bin/bash", filepath.Join(dir, "sshd")); err != nil {
		t.Fatal(err)
	}
	return s
}

type result struct {
	stdout, stderr string
	code           int
}

// sh runs a bash script inside the sandbox with $S (the switcher), $D (the test's
// directory) and $SSHD (the fake sshd) set, and args as $1, $2, ...
func (s *sandbox) sh(script string, args ...string) result {
	s.t.Helper()
	argv := append([]string{"-t", strconv.Itoa(s.nsPID), "--mount", "--pid", "--net", "bash", "-c", script, "sandbox"}, args...)
	cmd := exec.Command("nsenter", argv...)
	cmd.Env = append(testutil.NixEnv(), "S="+s.script, "D="+s.dir, "SSHD="+filepath.Join(s.dir, "sshd"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		s.t.Fatalf("nsenter: %v", err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// mustSh is sh that fails the test unless the script exits 0; it returns stdout.
func (s *sandbox) mustSh(script string, args ...string) string {
	s.t.Helper()
	r := s.sh(script, args...)
	if r.code != 0 {
		s.t.Fatalf("script %q exited %d\nstdout: %s\nstderr: %s", script, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fake describes how a fake system's switch-to-configuration behaves on test/switch.
type fake struct {
	exitCode int  // exit with this code instead of activating
	hang     bool // never finish (until killed)
	gated    bool // wait for release(name) before activating
	// activatedExit: activate, then exit with this code (NixOS: 4 units failed, 100
	// reboot needed).
	activatedExit int
	// bootExit: `boot` prints bootOutput on stderr and exits with this code.
	bootExit   int
	bootOutput string
}

// fakeSystem adds to the Nix store a directory that looks like a system to the
// switcher, with the switcher itself as bin/nixmesh-switch. Its switch-to-configuration
// records each call as "NAME MODE" in $D/calls
// and, on test/switch, makes itself the active system as the real one does.
func (s *sandbox) fakeSystem(name string, f fake) string {
	s.t.Helper()
	src := filepath.Join(s.dir, "systems", name)
	if err := os.MkdirAll(filepath.Join(src, "bin"), 0o755); err != nil {
		s.t.Fatal(err)
	}
	var body strings.Builder
	fmt.Fprintf(&body, "#!/bin/sh\n# fake system %s of test directory %s\n", name, s.dir)
	fmt.Fprintf(&body, "echo \"%s $1\" >> %s/calls\n", name, s.dir)
	body.WriteString("if [ \"$1\" = test ] || [ \"$1\" = switch ]; then\n")
	if f.gated {
		fmt.Fprintf(&body, "  while [ ! -e %s/gate-%s ]; do sleep 0.05; done\n", s.dir, name)
	}
	if f.hang {
		body.WriteString("  while :; do sleep 1; done\n")
	}
	if f.exitCode != 0 {
		fmt.Fprintf(&body, "  echo 'activation of %s breaks' >&2\n  exit %d\n", name, f.exitCode)
	}
	body.WriteString("  self=$(dirname \"$(dirname \"$(readlink -f \"$0\")\")\")\n")
	body.WriteString("  ln -sfn \"$self\" /var/lib/nixmesh/current-system\n")
	if f.activatedExit != 0 {
		fmt.Fprintf(&body, "  exit %d\n", f.activatedExit)
	}
	body.WriteString("fi\n")
	fmt.Fprintf(&body, "if [ \"$1\" = boot ]; then\n  echo \"%s bootloader=${NIXOS_INSTALL_BOOTLOADER-}\" >> %s/boot-env\n", name, s.dir)
	if f.bootExit != 0 {
		fmt.Fprintf(&body, "  echo %q >&2\n  exit %d\n", f.bootOutput, f.bootExit)
	}
	body.WriteString("fi\n")
	script := filepath.Join(src, "bin", "switch-to-configuration")
	if err := os.WriteFile(script, []byte(body.String()), 0o755); err != nil {
		s.t.Fatal(err)
	}
	// Installed as in a real toplevel, for the deploy script.
	switcher, err := os.ReadFile(s.script)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "bin", "nixmesh-switch"), switcher, 0o755); err != nil {
		s.t.Fatal(err)
	}
	add := exec.Command("nix-store", "--add", src)
	add.Env = testutil.NixEnv() // tests run in parallel, so no t.Setenv
	out, err := add.Output()
	if err != nil {
		s.t.Fatalf("nix-store --add %s: %v", src, err)
	}
	return strings.TrimSpace(string(out))
}

// release lets a gated fake system finish its activation.
func (s *sandbox) release(name string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "gate-"+name), nil, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// calls lists the recorded switch-to-configuration calls, in order.
func (s *sandbox) calls() []string {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.dir, "calls"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		s.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// waitCall waits until call (e.g. "new test") is recorded: the state says "activating"
// before the runner has started switch-to-configuration, and a signal sent in between
// would find no activation to stop. The bound only keeps a broken switcher from hanging
// the test.
func (s *sandbox) waitCall(call string) {
	s.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, c := range s.calls() {
			if c == call {
				return
			}
		}
	}
	s.t.Fatalf("switch-to-configuration was never called as %q; calls: %q", call, s.calls())
}

// setActive makes system the host's active system (as a past activation would have).
func (s *sandbox) setActive(system string) {
	s.t.Helper()
	s.mustSh(`ln -sfn "$1" /var/lib/nixmesh/current-system`, system)
}

// setConfirmed makes system the host's active system and its system profile (the last
// confirmed system), as a past confirmed switch would have.
func (s *sandbox) setConfirmed(system string) {
	s.t.Helper()
	s.mustSh(`ln -sfn "$1" /var/lib/nixmesh/current-system && nix-env -p /nix/var/nix/profiles/system --set "$1"`, system)
}

// start runs `nixmesh-switch start` and returns the id it prints.
func (s *sandbox) start(system string, opts ...string) string {
	s.t.Helper()
	out := s.mustSh(`bash "$S" start "$@"`, append([]string{system}, opts...)...)
	return strings.TrimSpace(out)
}

func parseStatus(out string) map[string]string {
	st := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			st[k] = v
		}
	}
	return st
}

func (s *sandbox) status(id string) map[string]string {
	s.t.Helper()
	return parseStatus(s.mustSh(`bash "$S" status "$1"`, id))
}

// waitState polls the switch's status until its state is one of want (the switch may
// not exist yet). The bound only keeps a broken switcher from hanging the test; no
// assertion depends on the timing.
func (s *sandbox) waitState(id string, want ...string) map[string]string {
	s.t.Helper()
	bound := time.Now().Add(90 * time.Second)
	for {
		r := s.sh(`bash "$S" status "$1"`, id)
		if r.code != 0 && r.code != 4 {
			s.t.Fatalf("status %s: exit %d: %s", id, r.code, r.stderr)
		}
		st := parseStatus(r.stdout)
		for _, w := range want {
			if st["state"] == w {
				return st
			}
		}
		if time.Now().After(bound) {
			s.t.Fatalf("switch %s never reached %v; last status %v\nlog:\n%s", id, want, st, s.log(id))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *sandbox) log(id string) string {
	return s.sh(`bash "$S" log "$1"`, id).stdout
}

// confirmNew confirms over a fake SSH connection opened now (after the activation).
// The trailing command keeps bash from exec'ing the switcher in place of the "sshd".
func (s *sandbox) confirmNew(id string) result {
	s.t.Helper()
	return s.sh(`"$SSHD" -c 'bash "$S" confirm "$1"; exit $?' sshd "$1"`, id)
}

// readlink resolves a path inside the sandbox ("" when it does not exist).
func (s *sandbox) readlink(path string) string {
	s.t.Helper()
	return strings.TrimSpace(s.sh(`if [ -e "$1" ]; then readlink -f "$1"; fi`, path).stdout)
}

func (s *sandbox) exists(path string) bool {
	s.t.Helper()
	return s.sh(`[ -e "$1" ] || [ -L "$1" ]`, path).code == 0
}

func equalLists(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func requireSSH(t *testing.T) {
	t.Helper()
	testutil.RequireCommands(t, "ssh", "ssh-keygen")
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		testutil.SkipOrFail(t, "needs /usr/sbin/sshd (openssh-server)")
	}
}

// startSSHD runs an OpenSSH server on the sandbox's loopback (127.0.0.1:2222) that lets
// root in with a key of the test's own, and writes $D/ssh_config naming it host `lab`.
func (s *sandbox) startSSHD() {
	s.t.Helper()
	s.mustSh(`set -e
ssh-keygen -q -t ed25519 -N '' -f "$D/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$D/client_key"
cp "$D/client_key.pub" "$D/authorized_keys"
mkdir -p /run/sshd
cat > "$D/sshd_config" <<CONF
ListenAddress 127.0.0.1:2222
HostKey $D/host_key
AuthorizedKeysFile $D/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile none
CONF
/usr/sbin/sshd -f "$D/sshd_config" -E "$D/sshd.log"
cat > "$D/ssh_config" <<CONF
Host lab
  HostName 127.0.0.1
  Port 2222
  User root
  IdentityFile $D/client_key
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
CONF`)
}
