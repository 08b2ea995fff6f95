package deploy

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/nixmesh/nixmesh/deploy/deploytest"
)

type (
	testHost   = deploytest.Host
	testClient = deploytest.Client
)

var (
	newTestClient = deploytest.NewClient
	startHost     = deploytest.StartHost
	buildSystem   = deploytest.BuildSystem
	freePort      = deploytest.FreePort
	calls         = deploytest.Calls
	callsFor      = deploytest.CallsFor
)

func hostTarget(h *testHost, name string) Target {
	return Target{Name: name, User: "root", Hostname: "127.0.0.1", Port: h.Port}
}

func sshOptionsFor(t *testing.T, c *testClient) SSHOptions {
	return SSHOptions{Home: c.Home, SystemDir: t.TempDir(), AgentSocket: "none", ConnectAttempts: 1}
}

// remote runs a shell command on the host as the test sees it (inside its namespace).
func remote(t *testing.T, c *testClient, h *testHost, script string) string {
	t.Helper()
	d, _, err := newDialer(sshOptionsFor(t, c), Target{Name: "check", User: "root", Hostname: "127.0.0.1", Port: h.Port})
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

// hasMessage reports whether an event of host has text in its message.
func (l *eventLog) hasMessage(host, text string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.Host == host && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}
