package deploy

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"golang.org/x/crypto/ssh"
)

// testHost is an sshd on 127.0.0.1 run by the test. With a private store it runs in its
// own mount namespace where /nix and /var/lib are empty tmpfs mounts, so it behaves like
// another machine for the store and the switcher's state, while sharing /tmp with the test.
type testHost struct {
	Port        int
	HostKey     ssh.PublicKey
	HostKeyLine string // authorized_keys form
	Dir         string
	Mark        string // created by any command run through this sshd
	stderr      *bytes.Buffer
}

// testClient is the identity the tests log in with: a home directory whose
// .ssh/id_ed25519 is authorized on every test host.
type testClient struct {
	Home   string
	Public ssh.PublicKey
}

func newTestClient(t *testing.T) *testClient {
	t.Helper()
	home := t.TempDir()
	pub := writeKey(t, filepath.Join(home, ".ssh", "id_ed25519"))
	return &testClient{Home: home, Public: pub}
}

// writeKey writes a new ed25519 private key in OpenSSH format and returns its public key.
func writeKey(t *testing.T, path string) ssh.PublicKey {
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

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func requireSSHD(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t)
	testutil.RequireCommands(t, "nix-store", "nix-build", "unshare")
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		testutil.SkipOrFail(t, "needs /usr/sbin/sshd")
	}
}

// startHost starts an sshd that authorizes client. privateStore selects the mount
// namespace with empty /nix and /var/lib.
func startHost(t *testing.T, client *testClient, privateStore bool) *testHost {
	t.Helper()
	requireSSHD(t)
	dir := t.TempDir()
	h := &testHost{Dir: dir, Mark: filepath.Join(dir, "command-ran"), stderr: &bytes.Buffer{}}
	h.HostKey = writeKey(t, filepath.Join(dir, "host_ed25519"))
	h.HostKeyLine = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.HostKey)))
	// Every command first leaves a mark, so tests can tell whether anything ran at all.
	auth := fmt.Sprintf("command=\"touch %s; exec /bin/sh -c \\\"$SSH_ORIGINAL_COMMAND\\\"\" %s", h.Mark,
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(client.Public))))
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(auth+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.Port = freePort(t)
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
	argv := []string{"/usr/sbin/sshd", "-D", "-e", "-f", cfgPath}
	if privateStore {
		argv = []string{"unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
			"mount -t tmpfs tmpfs /nix && mount -t tmpfs tmpfs /var/lib && exec " + ShellQuote(argv)}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = h.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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

// knownHostsLine is the host's line for a known_hosts file.
func (h *testHost) knownHostsLine() string {
	return "[127.0.0.1]:" + strconv.Itoa(h.Port) + " " + h.HostKeyLine
}

func (h *testHost) target(name string) Target {
	return Target{Name: name, User: "root", Hostname: "127.0.0.1", Port: h.Port}
}

func (h *testHost) ran() bool {
	_, err := os.Stat(h.Mark)
	return err == nil
}

// trustAll writes a known_hosts file with the hosts' keys into the client's home.
func (c *testClient) trust(t *testing.T, hosts ...*testHost) {
	t.Helper()
	var b strings.Builder
	for _, h := range hosts {
		b.WriteString(h.knownHostsLine() + "\n")
	}
	if err := os.WriteFile(filepath.Join(c.Home, ".ssh", "known_hosts"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshOptions are options that use only the test's files (no agent, no /etc/ssh).
func (c *testClient) sshOptions(t *testing.T) SSHOptions {
	return SSHOptions{Home: c.Home, SystemDir: t.TempDir(), AgentSocket: "none", ConnectAttempts: 1}
}

// remote runs a shell command on the host as the test sees it (inside its namespace).
func remote(t *testing.T, c *testClient, h *testHost, script string) string {
	t.Helper()
	d, _, err := newDialer(c.sshOptions(t), Target{Name: "check", User: "root", Hostname: "127.0.0.1", Port: h.Port})
	if err != nil {
		t.Fatal(err)
	}
	d.opts.DeclaredHostKeys = map[string][]string{"check": {h.HostKeyLine}}
	conn, err := d.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out, err := conn.Run(context.Background(), remoteCmd{Argv: []string{"sh", "-c", script}})
	if err != nil {
		t.Fatalf("remote %q: %v\n%s", script, err, processErr(err).Stderr)
	}
	return string(out)
}

// buildSystem builds testdata/toplevel.nix with the fake switcher logging into ctl.
func buildSystem(t *testing.T, ctl string, attr string) string {
	t.Helper()
	testutil.RequireNix(t)
	argv := []string{"nix-build", "--no-out-link", "testdata/toplevel.nix", "--argstr", "ctl", ctl}
	if attr != "" {
		argv = append(argv, "-A", attr)
	}
	out, err := command.Output(context.Background(), command.Cmd{Argv: argv, Env: testutil.NixEnv()})
	if err != nil {
		t.Fatalf("%v\n%s", err, processErr(err).Stderr)
	}
	return strings.TrimSpace(string(out))
}

// eventLog collects events.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	hook   func(Event)
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	hook := l.hook
	l.mu.Unlock()
	if hook != nil {
		hook(e)
	}
}

func (l *eventLog) has(host string, phase Phase) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.Host == host && e.Phase == phase {
			return true
		}
	}
	return false
}

// calls reads the fake switcher's call log: lines "PORT COMMAND ARGS...".
func calls(t *testing.T, ctl string) []string {
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

func callsFor(t *testing.T, ctl string, h *testHost, cmd string) int {
	n := 0
	for _, l := range calls(t, ctl) {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == strconv.Itoa(h.Port) && f[1] == cmd {
			n++
		}
	}
	return n
}
