package deploy

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// darkProxy forwards TCP connections to a host until it goes dark: from then on it
// forwards nothing and closes nothing, as a host whose network vanished (no RST, no FIN).
type darkProxy struct {
	ln   net.Listener
	dark atomic.Bool
	mu   sync.Mutex
	all  []net.Conn
}

func newDarkProxy(t *testing.T, to string) *darkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &darkProxy{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.all {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", to)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.all = append(p.all, in, out)
			p.mu.Unlock()
			go p.pipe(in, out)
			go p.pipe(out, in)
		}
	}()
	return p
}

// pipe copies until the proxy goes dark; then it swallows what comes, sending nothing.
func (p *darkProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if p.dark.Load() {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (p *darkProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// darkConnection connects to a test host through a darkProxy, with the SSH options
// adjusted by tune and the node's sshOptions; the connection is closed at cleanup.
func darkConnection(t *testing.T, tune func(*SSHOptions), sshOptions ...string) (*darkProxy, *Conn) {
	t.Helper()
	client := newTestClient(t)
	h := startHost(t, client, false)
	p := newDarkProxy(t, "127.0.0.1:"+strconv.Itoa(h.Port))
	o := sshOptionsFor(t, client)
	o.DeclaredHostKeys = map[string][]string{"dark": {h.HostKeyLine}}
	tune(&o)
	d, _, err := newDialer(o, Target{Name: "dark", User: "root", Hostname: "127.0.0.1", Port: p.port(), SSHOptions: sshOptions})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := d.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return p, conn
}

// A connection to a host that goes dark is closed by the keepalives: a command waiting
// on it fails within a few intervals instead of hanging.
func TestKeepaliveClosesADarkConnection(t *testing.T) {
	p, conn := darkConnection(t, func(o *SSHOptions) { o.KeepaliveInterval, o.KeepaliveCountMax = 200*time.Millisecond, 3 })
	commandOnDarkHostFails(t, p, conn, 20*time.Second)
}

// The node's sshOptions set the keepalives as ssh's ServerAliveInterval and
// ServerAliveCountMax do: a deployer whose own setting would wait an hour notices the
// dark host after a second or two.
func TestServerAliveFromSSHOptions(t *testing.T) {
	p, conn := darkConnection(t, func(o *SSHOptions) { o.KeepaliveInterval = time.Hour },
		"-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2")
	commandOnDarkHostFails(t, p, conn, 20*time.Second)
}

// commandOnDarkHostFails checks that conn lives while the host answers, and that a
// command waiting on it fails within bound once the host goes dark.
func commandOnDarkHostFails(t *testing.T, p *darkProxy, conn *Conn, bound time.Duration) {
	t.Helper()
	// A healthy connection is kept: its keepalives are answered.
	time.Sleep(1500 * time.Millisecond)
	if _, err := conn.Run(context.Background(), remoteCmd{Argv: []string{"true"}}); err != nil {
		t.Fatalf("a live connection was closed: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := conn.Run(context.Background(), remoteCmd{Argv: []string{"sleep", "60"}})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	p.dark.Store(true)
	began := time.Now()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the command succeeded on a dark host")
		}
		t.Logf("failed after %v: %v", time.Since(began).Round(10*time.Millisecond), err)
	case <-time.After(bound):
		t.Fatalf("a command on a dark host still waits after %v", bound)
	}
}

// Cancelling a command on a dark connection returns at once (the connection is closed
// when the session does not close), not when TCP gives up.
func TestCancelOnADarkConnectionReturns(t *testing.T) {
	// Keepalives must not be what saves the day here.
	p, conn := darkConnection(t, func(o *SSHOptions) { o.KeepaliveInterval = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// A big stdin keeps the session writing: with the host dark, the window fills and the
	// writer blocks, as a copy to a host that went dark does.
	go func() {
		_, err := conn.Run(ctx, remoteCmd{Argv: []string{"sleep", "60"}, Stdin: io.LimitReader(zeros{}, 64<<20)})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	p.dark.Store(true)
	time.Sleep(500 * time.Millisecond)
	cancel()
	began := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want it to say it was cancelled", err)
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("returned %v after the cancel", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled command on a dark host still waits after 10s")
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// A host that crashes during its switch is reported unreachable once no connection can
// be made for UnreachableAfter, with what it comes back on; the deploy does not wait for
// the switch's whole deadline.
func TestRunReportsACrashedHostUnreachable(t *testing.T) {
	f := newFleet(t, 1)
	f.setMode(t, nil, "hang")
	crashed := make(chan struct{})
	var once sync.Once
	log := &eventLog{hook: func(e Event) {
		if e.Host == "host0" && e.Message == "state activating" {
			once.Do(func() { f.hosts[0].Crash(); close(crashed) })
		}
	}}
	o := f.options(t, log)
	o.UnreachableAfter = time.Second
	o.PollTimeout = 2 * time.Second
	o.SSH.ConnectTimeout = time.Second
	o.SSH.KeepaliveInterval = 300 * time.Millisecond
	targets := f.targets()
	targets[0].SwitchTimeout, targets[0].SuccessTimeout = 120*time.Second, 120*time.Second
	began := time.Now()
	rep, err := Run(context.Background(), o, targets)
	<-crashed
	took := time.Since(began)
	h := rep.Hosts[0]
	if !errors.Is(err, ErrHostUnreachable) || h.Result != ResultFailed || !h.MidSwitch {
		t.Fatalf("err %v; host %+v", err, h)
	}
	if took > 30*time.Second {
		t.Errorf("the deploy took %v; the switch's own deadline is 300s, unreachable after 1s", took)
	}
	for _, want := range []string{"unreachable", "comes back on"} {
		if !strings.Contains(h.Reason, want) {
			t.Errorf("reason %q lacks %q", h.Reason, want)
		}
	}
}

// A copy to a host that stops taking data (its window never reopens, the connection
// stays up: keepalives are off here) fails once no byte moved for CopyStallTimeout.
func TestCopyStallFails(t *testing.T) {
	client := newTestClient(t)
	h := startHost(t, client, true)
	p := newDarkProxy(t, "127.0.0.1:"+strconv.Itoa(h.Port))
	// A path bigger than any SSH window, so that the export must wait for the host.
	src := filepath.Join(t.TempDir(), "big")
	data := make([]byte, 24<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	add := exec.Command("nix-store", "--add", src)
	add.Env = testutil.NixEnv()
	out, err := add.Output()
	if err != nil {
		t.Fatalf("nix-store --add: %v", err)
	}
	big := strings.TrimSpace(string(out))

	o := Options{SSH: sshOptionsFor(t, client), NixEnv: testutil.NixEnv(), CopyStallTimeout: time.Second}
	o.SSH.KeepaliveInterval = time.Hour
	o.SSH.DeclaredHostKeys = map[string][]string{"big": {h.HostKeyLine}}
	tg := Target{Name: "big", User: "root", Hostname: "127.0.0.1", Port: p.port(), Toplevel: big}
	hr := &hostRun{opts: o, t: tg}
	hr.emit = func(e Event) {
		if e.Phase == PhaseCopy && strings.Contains(e.Message, "missing") {
			p.dark.Store(true) // the host goes quiet as the stream begins
		}
	}
	d, _, err := newDialer(o.SSH, tg)
	if err != nil {
		t.Fatal(err)
	}
	hr.dialer = d
	if hr.conn, err = d.Dial(context.Background()); err != nil {
		t.Fatal(err)
	}
	hr.begin(PhaseCopy)
	done := make(chan error, 1)
	go func() { done <- hr.copyClosure(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrCopyStalled) {
			t.Fatalf("copy to a stalled host: %v, want ErrCopyStalled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a copy to a stalled host still runs after 30s (stall timeout 1s)")
	}
}

// A host that rolled back but cannot be reached on its old system either is reported as
// such, with what to do, instead of a plain rollback.
func TestUnreachableAfterRollback(t *testing.T) {
	f := newFleet(t, 1)
	f.setMode(t, nil, "rollback")
	log := &eventLog{}
	o := f.options(t, log)
	o.PollTimeout = 2 * time.Second
	o.Events = func(e Event) {
		log.add(e)
		if strings.Contains(e.Message, "state rolled-back") {
			f.hosts[0].Crash() // the old system does not come back
		}
	}
	rep, _ := Run(context.Background(), o, f.targets())
	r := rep.Hosts[0]
	if r.Result != ResultRolledBack || !strings.Contains(r.Reason, "unreachable after rollback") || !strings.Contains(r.Reason, "console") {
		t.Errorf("result %+v, want rolled back and unreachable after it", r)
	}
}
