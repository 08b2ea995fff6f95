// Package deploytest runs the pieces deploy's tests (and the CLI's) deploy to: an sshd on
// 127.0.0.1 with its own host key, optionally in a mount namespace with an empty /nix and
// /var/lib so it behaves like another machine, a client identity it authorizes, and a
// small system closure with a fake switcher (testdata/fake-switch.sh) that logs its calls.
// Only for tests; it must not import deploy (deploy's own tests use it).
package deploytest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"golang.org/x/crypto/ssh"
)

// Host is an sshd on 127.0.0.1 run by the test. With a private store it runs in its
// own mount namespace where /nix and /var/lib are empty tmpfs mounts, so it behaves like
// another machine for the store and the switcher's state, while sharing /tmp with the test.
type Host struct {
	Port        int
	HostKey     ssh.PublicKey
	HostKeyLine string // authorized_keys form
	Dir         string
	Mark        string // created by any command run through this sshd
	stderr      *bytes.Buffer
	pgid        int
}

// Crash kills the host's sshd and every process below it (sessions run in sessions of
// their own), as a host that lost power: connections end, new ones are refused.
func (h *Host) Crash() {
	if h.pgid <= 0 {
		return
	}
	var tree []int
	var walk func(pid int)
	walk = func(pid int) {
		tree = append(tree, pid)
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				walk(c)
			}
		}
	}
	walk(h.pgid)
	for _, pid := range tree {
		_ = syscall.Kill(pid, syscall.SIGSTOP) // nobody forks away while we kill
	}
	for _, pid := range tree {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// Client is the identity the tests log in with: a home directory whose
// .ssh/id_ed25519 is authorized on every test host.
type Client struct {
	Home   string
	Public ssh.PublicKey
}

// NewClient makes a client identity in a new home directory.
func NewClient(t *testing.T) *Client {
	t.Helper()
	home := t.TempDir()
	pub := WriteKey(t, filepath.Join(home, ".ssh", "id_ed25519"))
	return &Client{Home: home, Public: pub}
}

// WriteKey writes a new ed25519 private key in OpenSSH format and returns its public key.
func WriteKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RequireSSHD skips (or fails in CI) unless the test can run sshd hosts: root, sshd,
// unshare and Nix.
func RequireSSHD(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t)
	testutil.RequireCommands(t, "nix-store", "nix-build", "unshare")
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		testutil.SkipOrFail(t, "needs /usr/sbin/sshd")
	}
}

// StartHost starts an sshd that authorizes client, in a mount namespace with an empty
// /root; privateStore gives it empty /nix and /var/lib too.
func StartHost(t *testing.T, client *Client, privateStore bool) *Host {
	t.Helper()
	RequireSSHD(t)
	dir := t.TempDir()
	h := &Host{Dir: dir, Mark: filepath.Join(dir, "command-ran"), stderr: &bytes.Buffer{}}
	h.HostKey = WriteKey(t, filepath.Join(dir, "host_ed25519"))
	h.HostKeyLine = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.HostKey)))
	// Every command first leaves a mark, so tests can tell whether anything ran at all.
	// A session without a command (a login) gets a login shell.
	auth := fmt.Sprintf("command=\"touch %s; [ -n \\\"$SSH_ORIGINAL_COMMAND\\\" ] || exec /bin/sh -l; exec /bin/sh -c \\\"$SSH_ORIGINAL_COMMAND\\\"\" %s", h.Mark,
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(client.Public))))
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(auth+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.Port = FreePort(t)
	cfg := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin yes
StrictModes no
UsePAM no
PidFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
LogLevel ERROR
`, h.Port, filepath.Join(dir, "host_ed25519"), filepath.Join(dir, "authorized_keys"))
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	// Every host gets a /root of its own, empty: the sessions run through root's login
	// shell, and a machine's own ~/.bashrc (this one's starts pyenv, 0.6 s) would
	// otherwise run before every remote command.
	mounts := "mount -t tmpfs tmpfs /root"
	if privateStore {
		mounts += " && mount -t tmpfs tmpfs /nix && mount -t tmpfs tmpfs /var/lib"
	}
	argv := []string{"unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
		mounts + " && exec " + shellQuote([]string{"/usr/sbin/sshd", "-D", "-e", "-f", cfgPath})}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = h.stderr
	// If the test binary dies without its cleanups (a panic, a timeout), sshd goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.pgid = cmd.Process.Pid
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && h.stderr.Len() > 0 {
			t.Logf("sshd on port %d:\n%s", h.Port, h.stderr)
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(h.Port)))
		if err == nil {
			c.Close()
			break
		}
		if i > 200 {
			t.Fatalf("sshd did not listen on %d: %v\n%s", h.Port, err, h.stderr)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return h
}

// KnownHostsLine is the host's line for a known_hosts file.
func (h *Host) KnownHostsLine() string {
	return "[127.0.0.1]:" + strconv.Itoa(h.Port) + " " + h.HostKeyLine
}

// Ran reports whether any command ran through this sshd.
func (h *Host) Ran() bool {
	_, err := os.Stat(h.Mark)
	return err == nil
}

// Trust writes a known_hosts file with the hosts' keys into the client's home.
func (c *Client) Trust(t *testing.T, hosts ...*Host) {
	t.Helper()
	var b strings.Builder
	for _, h := range hosts {
		b.WriteString(h.KnownHostsLine() + "\n")
	}
	if err := os.WriteFile(filepath.Join(c.Home, ".ssh", "known_hosts"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// BuildSystem builds testdata/toplevel.nix with the fake switcher logging into ctl.
func BuildSystem(t *testing.T, ctl string, attr string) string {
	t.Helper()
	testutil.RequireNix(t)
	argv := []string{"nix-build", "--no-out-link", toplevelNix(), "--argstr", "ctl", ctl}
	if attr != "" {
		argv = append(argv, "-A", attr)
	}
	out, err := command.Output(context.Background(), command.Cmd{Argv: argv, Env: testutil.NixEnv()})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderrOf(err))
	}
	return strings.TrimSpace(string(out))
}

func toplevelNix() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "toplevel.nix")
}

func stderrOf(err error) string {
	var pe *command.ProcessError
	if errors.As(err, &pe) {
		return pe.Stderr
	}
	return ""
}

func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// Calls reads the fake switcher's call log in ctl: lines "PORT COMMAND ARGS...".
func Calls(t testing.TB, ctl string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ctl, "calls"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return command.Lines(string(b))
}

// CallsFor counts the calls of cmd (start, status, confirm, log) on host h.
func CallsFor(t testing.TB, ctl string, h *Host, cmd string) int {
	n := 0
	for _, l := range Calls(t, ctl) {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == strconv.Itoa(h.Port) && f[1] == cmd {
			n++
		}
	}
	return n
}
