package deploy

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func dialAndRun(t *testing.T, o SSHOptions, tg Target) error {
	t.Helper()
	d, _, err := newDialer(o, tg)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := d.Dial(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	out, err := conn.Run(context.Background(), remoteCmd{Argv: []string{"echo", "it's me"}})
	if err != nil {
		t.Fatalf("running a command: %v", err)
	}
	if string(out) != "it's me\n" {
		t.Fatalf("command output %q", out)
	}
	return nil
}

func TestHostKeyVerification(t *testing.T) {
	client := newTestClient(t)
	host := startHost(t, client, false)
	other := startHost(t, client, false) // only for a second, different host key

	t.Run("known key accepted", func(t *testing.T) {
		client.Trust(t, host)
		if err := dialAndRun(t, sshOptionsFor(t, client), hostTarget(host, "web")); err != nil {
			t.Fatalf("known host refused: %v", err)
		}
		if !host.Ran() {
			t.Fatal("the command did not run through the test sshd")
		}
	})

	t.Run("unknown key refused before any command", func(t *testing.T) {
		h := startHost(t, client, false)
		client.Trust(t, host) // knows another host, not this one
		err := dialAndRun(t, sshOptionsFor(t, client), hostTarget(h, "web"))
		if !errors.Is(err, ErrHostKeyUnknown) || errors.Is(err, ErrHostKeyMismatch) {
			t.Fatalf("err = %v, want ErrHostKeyUnknown", err)
		}
		if retryable(err) {
			t.Error("an unknown host key must not be retried")
		}
		if h.Ran() {
			t.Fatal("a command ran on a host whose key was unknown")
		}
	})

	t.Run("mismatched key refused, even with accept-new", func(t *testing.T) {
		h := startHost(t, client, false)
		// known_hosts holds another key under this host's address.
		line := strings.Replace(other.KnownHostsLine(), ":"+itoa(other.Port), ":"+itoa(h.Port), 1)
		os.WriteFile(filepath.Join(client.Home, ".ssh", "known_hosts"), []byte(line+"\n"), 0o600)
		o := sshOptionsFor(t, client)
		o.AcceptNewHostKeys = true
		err := dialAndRun(t, o, hostTarget(h, "web"))
		if !errors.Is(err, ErrHostKeyMismatch) {
			t.Fatalf("err = %v, want ErrHostKeyMismatch", err)
		}
		if h.Ran() {
			t.Fatal("a command ran on a host whose key mismatched")
		}
		b, _ := os.ReadFile(filepath.Join(client.Home, ".ssh", "known_hosts"))
		if strings.Count(string(b), "\n") != 1 {
			t.Fatalf("known_hosts was changed:\n%s", b)
		}
	})

	t.Run("declared plan key accepted, wrong declared key is a mismatch", func(t *testing.T) {
		os.Remove(filepath.Join(client.Home, ".ssh", "known_hosts"))
		o := sshOptionsFor(t, client)
		o.DeclaredHostKeys = map[string][]string{"web": {host.HostKeyLine + " root@web"}}
		if err := dialAndRun(t, o, hostTarget(host, "web")); err != nil {
			t.Fatalf("declared key refused: %v", err)
		}
		o.DeclaredHostKeys = map[string][]string{"web": {other.HostKeyLine}}
		if err := dialAndRun(t, o, hostTarget(host, "web")); !errors.Is(err, ErrHostKeyMismatch) {
			t.Fatalf("err = %v, want ErrHostKeyMismatch", err)
		}
	})

	t.Run("known_hosts and the declared key must agree", func(t *testing.T) {
		os.Remove(filepath.Join(client.Home, ".ssh", "known_hosts"))
		o := sshOptionsFor(t, client)
		// known_hosts holds the host's key, the plan declares another: refused.
		o.ExtraKnownHostsFiles = []string{writeKnownHosts(t, host)}
		o.DeclaredHostKeys = map[string][]string{"web": {other.HostKeyLine}}
		err := dialAndRun(t, o, hostTarget(host, "web"))
		if !errors.Is(err, ErrHostKeyMismatch) || !strings.Contains(err.Error(), "ssh.access.web.hostKeys has") {
			t.Fatalf("known_hosts match, declared mismatch: err = %v, want ErrHostKeyMismatch naming the declaration", err)
		}
		// The plan declares the host's key, known_hosts has only another one: refused.
		o.DeclaredHostKeys = map[string][]string{"web": {host.HostKeyLine}}
		o.ExtraKnownHostsFiles = []string{writeKnownHostsLine(t, "[127.0.0.1]:"+itoa(host.Port)+" "+other.HostKeyLine)}
		if err := dialAndRun(t, o, hostTarget(host, "web")); !errors.Is(err, ErrHostKeyMismatch) {
			t.Fatalf("declared match, known_hosts mismatch: err = %v, want ErrHostKeyMismatch", err)
		}
		// Both agree: accepted.
		o.ExtraKnownHostsFiles = []string{writeKnownHosts(t, host)}
		if err := dialAndRun(t, o, hostTarget(host, "web")); err != nil {
			t.Fatalf("agreeing sources: %v", err)
		}
	})

	t.Run("accept-new appends to known_hosts", func(t *testing.T) {
		os.Remove(filepath.Join(client.Home, ".ssh", "known_hosts"))
		o := sshOptionsFor(t, client)
		o.AcceptNewHostKeys = true
		if err := dialAndRun(t, o, hostTarget(host, "web")); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(client.Home, ".ssh", "known_hosts"))
		if err != nil || !strings.Contains(string(b), host.KnownHostsLine()) {
			t.Fatalf("known_hosts = %q, %v; want the host's line", b, err)
		}
		o.AcceptNewHostKeys = false
		if err := dialAndRun(t, o, hostTarget(host, "web")); err != nil {
			t.Fatalf("the accepted key is not trusted afterwards: %v", err)
		}
	})

	t.Run("extra known hosts file", func(t *testing.T) {
		os.Remove(filepath.Join(client.Home, ".ssh", "known_hosts"))
		extra := filepath.Join(t.TempDir(), "lab_known_hosts")
		os.WriteFile(extra, []byte(host.KnownHostsLine()+"\n"), 0o600)
		o := sshOptionsFor(t, client)
		o.ExtraKnownHostsFiles = []string{extra}
		if err := dialAndRun(t, o, hostTarget(host, "web")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refused credentials are final", func(t *testing.T) {
		stranger := newTestClient(t) // its key is not authorized
		o := sshOptionsFor(t, stranger)
		o.DeclaredHostKeys = map[string][]string{"web": {host.HostKeyLine}}
		err := dialAndRun(t, o, hostTarget(host, "web"))
		if !errors.Is(err, ErrAuthRefused) || retryable(err) {
			t.Fatalf("err = %v, want a final ErrAuthRefused", err)
		}
	})

	t.Run("refused with a node's IdentityFile missing says so", func(t *testing.T) {
		stranger := newTestClient(t) // its default key is not authorized
		o := sshOptionsFor(t, stranger)
		o.DeclaredHostKeys = map[string][]string{"web": {host.HostKeyLine}}
		target := hostTarget(host, "web")
		target.SSHOptions = []string{"-o", "IdentityFile=/nonexistent/deploy_key"}
		err := dialAndRun(t, o, target)
		if !errors.Is(err, ErrAuthRefused) || !strings.Contains(err.Error(), "/nonexistent/deploy_key (no such file)") {
			t.Fatalf("err = %v, want ErrAuthRefused naming the missing identity file", err)
		}
	})

	t.Run("key from ssh-agent", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(client.Home, ".ssh", "id_ed25519"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := ssh.ParseRawPrivateKey(b)
		if err != nil {
			t.Fatal(err)
		}
		keyring := agent.NewKeyring()
		if err := keyring.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(t.TempDir(), "agent.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { agent.ServeAgent(keyring, c); c.Close() }()
			}
		}()
		// A home without identity files: only the agent holds the key.
		o := SSHOptions{Home: t.TempDir(), SystemDir: t.TempDir(), AgentSocket: sock, ConnectAttempts: 1,
			DeclaredHostKeys: map[string][]string{"web": {host.HostKeyLine}}}
		if err := dialAndRun(t, o, hostTarget(host, "web")); err != nil {
			t.Fatalf("agent key refused: %v", err)
		}
		o.AgentSocket = "none"
		if err := dialAndRun(t, o, hostTarget(host, "web")); !errors.Is(err, ErrAuthRefused) {
			t.Fatalf("without the agent: %v, want ErrAuthRefused", err)
		}
	})

	t.Run("connection refused is retryable", func(t *testing.T) {
		o := sshOptionsFor(t, client)
		err := dialAndRun(t, o, Target{Name: "gone", User: "root", Hostname: "127.0.0.1", Port: freePort(t)})
		if !errors.Is(err, ErrConnect) || !retryable(err) {
			t.Fatalf("err = %v, want a retryable ErrConnect", err)
		}
	})

	t.Run("ProxyJump", func(t *testing.T) {
		// Jump through the host to itself: the target is reached by the jump host.
		client.Trust(t, host)
		o := sshOptionsFor(t, client)
		h2 := startHost(t, client, false)
		o.DeclaredHostKeys = map[string][]string{"web": {h2.HostKeyLine}}
		tg := hostTarget(h2, "web")
		tg.SSHOptions = []string{"-J", "root@127.0.0.1:" + itoa(host.Port)}
		if err := dialAndRun(t, o, tg); err != nil {
			t.Fatal(err)
		}
		if !h2.Ran() {
			t.Fatal("nothing ran on the target")
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestResolveEndpointWithSSHConfig(t *testing.T) {
	home := t.TempDir()
	sys := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(`
Host gateway
  HostName 10.0.0.1
  Port 2222
  User admin
  IdentityFile ~/.ssh/gw_key
  ProxyJump bastion,jump2
Host bastion
  HostName 192.0.2.1
  Port 2200
  User jumper
`), 0o600)
	os.WriteFile(filepath.Join(sys, "ssh_config"), []byte("Host *\n  Port 2022\n  User sysuser\n"), 0o600)
	o := SSHOptions{Home: home, SystemDir: sys, IdentityFiles: []string{"/keys/deploy"}}
	cfg, err := loadSSHConfig(o)
	if err != nil {
		t.Fatal(err)
	}

	e, _, err := resolveEndpoint(o, cfg, Target{Name: "gw", Hostname: "gateway", Port: 22})
	if err != nil {
		t.Fatal(err)
	}
	if e.Host != "10.0.0.1" || e.Port != 2222 || e.User != "admin" {
		t.Errorf("endpoint = %s@%s:%d, want admin@10.0.0.1:2222", e.User, e.Host, e.Port)
	}
	wantIDs := []string{"/keys/deploy", filepath.Join(home, ".ssh/gw_key"), filepath.Join(home, ".ssh/id_ed25519"), filepath.Join(home, ".ssh/id_rsa")}
	if !slices.Equal(e.IdentityFiles, wantIDs) {
		t.Errorf("identity files = %v, want %v", e.IdentityFiles, wantIDs)
	}
	if !slices.Equal(e.ProxyJump, []string{"bastion", "jump2"}) {
		t.Errorf("ProxyJump = %v", e.ProxyJump)
	}

	// The plan's user@ and a non-default port win over ssh_config, as on ssh's command line;
	// sshOptions win over both.
	e, _, _ = resolveEndpoint(o, cfg, Target{Name: "gw", Hostname: "gateway", User: "root", Port: 2223})
	if e.User != "root" || e.Port != 2223 {
		t.Errorf("plan user/port: got %s:%d", e.User, e.Port)
	}
	e, ignored, _ := resolveEndpoint(o, cfg, Target{Name: "gw", Hostname: "gateway", User: "root", SSHOptions: []string{"-p", "9", "-o", "User=ops", "-o", "Compression=yes", "-v"}})
	if e.User != "ops" || e.Port != 9 {
		t.Errorf("sshOptions: got %s:%d", e.User, e.Port)
	}
	if !slices.Equal(ignored, []string{"-o Compression=yes", "-v"}) {
		t.Errorf("ignored = %q", ignored)
	}

	// The system file applies where the user's has nothing.
	e, _, _ = resolveEndpoint(o, cfg, Target{Name: "web", Hostname: "198.18.0.12"})
	if e.Host != "198.18.0.12" || e.Port != 2022 || e.User != "sysuser" {
		t.Errorf("system config: got %s@%s:%d", e.User, e.Host, e.Port)
	}

	d := &dialer{opts: o, cfg: cfg}
	j, err := d.jumpEndpoint("bastion")
	if err != nil || j.Host != "192.0.2.1" || j.Port != 2200 || j.User != "jumper" {
		t.Errorf("jump endpoint = %+v, %v", j, err)
	}
	j, _ = d.jumpEndpoint("me@192.0.2.9:2201")
	if j.Host != "192.0.2.9" || j.Port != 2201 || j.User != "me" {
		t.Errorf("jump endpoint = %+v", j)
	}
}

func TestPrivilegeEscalationOnlyForNonRoot(t *testing.T) {
	h := &hostRun{t: Target{PrivilegeEscalationCommand: []string{"sudo", "-n"}}, dialer: &dialer{endpoint: Endpoint{User: "deploy"}}}
	if got := h.asRoot("nix-store", "--import"); !slices.Equal(got, []string{"sudo", "-n", "nix-store", "--import"}) {
		t.Errorf("non-root: %q", got)
	}
	h.dialer.endpoint.User = "root"
	if got := h.asRoot("nix-store", "--import"); !slices.Equal(got, []string{"nix-store", "--import"}) {
		t.Errorf("root: %q", got)
	}
}

// A command printed for the user to run carries what reaching the host takes: the node's
// sshOptions, the port and the jump hosts.
func TestSSHLineWorksAsPrinted(t *testing.T) {
	h := &hostRun{t: Target{SSHOptions: []string{"-i", "/keys/my key", "-o", "UserKnownHostsFile=/kh"}},
		dialer: &dialer{endpoint: Endpoint{User: "root", Alias: "web", Port: 2222, ProxyJump: []string{"bastion"}}}}
	got := h.sshLine([]string{"/nix/store/x/bin/nixmesh-switch", "log", "3"})
	want := `ssh -i '/keys/my key' -o UserKnownHostsFile=/kh -J bastion -p 2222 root@web /nix/store/x/bin/nixmesh-switch log 3`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func writeKnownHostsLine(t *testing.T, line string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(f, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// ConnectTimeout, ConnectionAttempts, ServerAliveInterval and ServerAliveCountMax come
// from the node's sshOptions, else from ssh_config, else from the deployer's settings;
// they read as ssh reads them (times with units for the timeout and the interval), and a
// value ssh would refuse is an error naming the option.
func TestConnectionSettingsFromSSHOptionsAndConfig(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(`
Host slow
  ConnectTimeout 40
  ConnectionAttempts 5
  ServerAliveInterval 9
Host units
  ConnectTimeout 1m30s
  ServerAliveInterval 10S
Host broken
  ConnectTimeout 5.5
`), 0o600)
	o := SSHOptions{Home: home, SystemDir: t.TempDir(), ConnectTimeout: 2 * time.Second}
	cfg, err := loadSSHConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	e, ignored, err := resolveEndpoint(o, cfg, Target{Name: "s", Hostname: "slow",
		SSHOptions: []string{"-o", "ConnectTimeout=7", "-o", "ServerAliveCountMax 4"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ignored) != 0 {
		t.Errorf("ignored %q: the connection settings are understood", ignored)
	}
	if got := e.connectTimeout(o); got != 7*time.Second {
		t.Errorf("ConnectTimeout = %v, want 7s (sshOptions over ssh_config's 40)", got)
	}
	if got := e.connectAttempts(o); got != 5 {
		t.Errorf("ConnectionAttempts = %d, want ssh_config's 5", got)
	}
	if iv, n := e.keepalive(o); iv != 9*time.Second || n != 4 {
		t.Errorf("keepalive = %v x %d, want ssh_config's 9s x sshOptions' 4", iv, n)
	}

	e, _, err = resolveEndpoint(o, cfg, Target{Name: "u", Hostname: "units"})
	if iv, _ := e.keepalive(o); err != nil || e.connectTimeout(o) != 90*time.Second || iv != 10*time.Second {
		t.Errorf("ConnectTimeout 1m30s, ServerAliveInterval 10S: %v, %v (%v); want 1m30s, 10s", e.connectTimeout(o), iv, err)
	}

	// Nothing said: the deployer's own settings, then the defaults.
	e, _, _ = resolveEndpoint(o, cfg, Target{Name: "p", Hostname: "plain"})
	if got := e.connectTimeout(o); got != 2*time.Second {
		t.Errorf("ConnectTimeout = %v, want the deployer's 2s", got)
	}
	if iv, n := e.keepalive(o); e.connectAttempts(o) != 3 || iv != 5*time.Second || n != 3 {
		t.Errorf("defaults: %d attempts, keepalive %v x %d; want 3, 5s x 3", e.connectAttempts(o), iv, n)
	}
	// 0 and none leave it to the deployer (it always keeps connections alive).
	e, _, _ = resolveEndpoint(o, cfg, Target{Name: "p", Hostname: "plain", SSHOptions: []string{"-o", "ServerAliveInterval=0", "-o", "ConnectTimeout=none"}})
	if iv, _ := e.keepalive(o); iv != 5*time.Second || e.connectTimeout(o) != 2*time.Second {
		t.Errorf("ServerAliveInterval=0, ConnectTimeout=none: keepalive %v, timeout %v; want 5s, 2s", iv, e.connectTimeout(o))
	}

	for _, c := range []struct {
		target Target
		option string
	}{
		{Target{Name: "b", Hostname: "broken"}, `ConnectTimeout "5.5"`},
		{Target{Name: "p", Hostname: "plain", SSHOptions: []string{"-o", "ConnectionAttempts=none"}}, `ConnectionAttempts "none"`},
		{Target{Name: "p", Hostname: "plain", SSHOptions: []string{"-o", "ServerAliveInterval=5sec"}}, `ServerAliveInterval "5sec"`},
		{Target{Name: "p", Hostname: "plain", SSHOptions: []string{"-o", "ConnectionAttempts=-1"}}, `ConnectionAttempts "-1"`},
		{Target{Name: "p", Hostname: "plain", SSHOptions: []string{"-oServerAliveCountMax=many"}}, `ServerAliveCountMax "many"`},
	} {
		_, _, err := resolveEndpoint(o, cfg, c.target)
		if err == nil || !strings.Contains(err.Error(), c.option) {
			t.Errorf("%v: err = %v, want one naming %s", c.target.SSHOptions, err, c.option)
		}
	}
}

// A host that accepts the TCP connection and never speaks SSH (a hung sshd, a
// half-dead machine) costs ConnectionAttempts x ConnectTimeout as the node's sshOptions
// say, not the default 3 x 15s.
func TestConnectTimeoutAndAttemptsBoundTheDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	var held []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			held = append(held, c) // say nothing, close nothing
			mu.Unlock()
		}
	}()
	o := SSHOptions{Home: t.TempDir(), SystemDir: t.TempDir(), AgentSocket: "none"}
	d, _, err := newDialer(o, Target{Name: "mute", User: "root", Hostname: "127.0.0.1",
		Port: ln.Addr().(*net.TCPAddr).Port, SSHOptions: []string{"-o", "ConnectTimeout=1", "-o", "ConnectionAttempts=2"}})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err = d.Dial(context.Background())
	took := time.Since(began)
	if !errors.Is(err, ErrConnect) {
		t.Fatalf("err = %v, want ErrConnect", err)
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("%d connection attempts, want ConnectionAttempts=2", n)
	}
	// Two 1 s handshakes and a 1 s pause between them; the default would take 30 s.
	if took > 12*time.Second {
		t.Errorf("the dial took %v, want about 3s (ConnectTimeout=1 twice)", took)
	}
	t.Logf("failed after %v: %v", took.Round(10*time.Millisecond), err)
}
