package deploy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/deploy/deploytest"
	"github.com/nixmesh/nixmesh/eval"
)

// Health checks gate the confirmation, with the real switcher: passing checks (a command
// on the host, TCP and HTTP from here) confirm; a failing one rolls the host back at once
// (not after its success timeout), and the result names the check and its output.
func TestHealthChecksGateTheConfirmation(t *testing.T) {
	rh := newRealHost(t)
	client, host, o := rh.client, rh.host, rh.opts
	good, other := buildRealSystem(t, "good"), buildRealSystem(t, "other")
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
		}
	}))
	defer web.Close()
	check := func(c eval.HealthCheck) eval.HealthCheck {
		c.Timeout, c.Retries, c.Interval = 5, 2, 0.2
		return c
	}
	passing := []eval.HealthCheck{
		check(eval.HealthCheck{Name: "active", Kind: "command", Command: `test "$(readlink /var/lib/nixmesh/current-system)" = "` + good + `" && echo is-active`}),
		check(eval.HealthCheck{Name: "sshd", Kind: "tcp", Port: host.Port}),
		check(eval.HealthCheck{Name: "site", Kind: "http", URL: web.URL + "/health", Status: 200}),
	}
	target := func(system string, checks []eval.HealthCheck) []Target {
		tg := rh.target(system)
		tg.SuccessTimeout, tg.HealthChecks = 60*time.Second, checks
		return []Target{tg}
	}
	active := func() string {
		return strings.TrimSpace(remote(t, client, host, "readlink /var/lib/nixmesh/current-system"))
	}

	log := &eventLog{}
	o.Events = log.add
	rep, err := Run(context.Background(), o, target(good, passing))
	if err != nil || rep.Hosts[0].Result != ResultOK {
		t.Fatalf("passing checks: %+v, %v\n%+v", rep.Hosts[0], err, log.events)
	}
	for _, want := range []string{"health check active passed: is-active", "health check sshd passed", "health check site passed"} {
		if !log.hasMessage("web", want) {
			t.Errorf("no event %q: %+v", want, log.events)
		}
	}
	// The host's window is its success timeout, held open for the checks by a lease
	// taken before they ran.
	id := rep.Hosts[0].SwitchID
	if got := strings.TrimSpace(remote(t, client, host, "cat /var/lib/nixmesh/switch/"+id+"/success-timeout; test -s /var/lib/nixmesh/switch/"+id+"/extended && echo leased")); got != strconv.Itoa(60)+"\nleased" {
		t.Errorf("the host's success timeout and lease: %q, want 60 and a lease", got)
	}

	// A failing check: the host rolls back at once, the result says which check and why.
	failing := append(passing[1:], check(eval.HealthCheck{Name: "app", Kind: "command", Command: "echo app is broken >&2; exit 4"}))
	start := time.Now()
	rep, err = Run(context.Background(), o, target(other, failing))
	r := rep.Hosts[0]
	if r.Result != ResultRolledBack || !errors.Is(err, ErrRolledBack) {
		t.Fatalf("failing check: %+v, %v", r, err)
	}
	if !strings.Contains(r.Reason, "health check app failed: exit code 4 (2 attempts): app is broken") {
		t.Errorf("reason %q lacks the check, its exit and its output", r.Reason)
	}
	if took := time.Since(start); took > 40*time.Second {
		t.Errorf("the rollback took %s: a failed check must not wait for the success timeout (60s)", took)
	}
	if got := active(); got != good {
		t.Errorf("active %s after the rollback, want %s", got, good)
	}

	// A wrong HTTP status fails too.
	rep, _ = Run(context.Background(), o, target(other, []eval.HealthCheck{check(eval.HealthCheck{Name: "site", Kind: "http", URL: web.URL + "/missing", Status: 200})}))
	if r := rep.Hosts[0]; r.Result != ResultRolledBack || !strings.Contains(r.Reason, "health check site failed") || !strings.Contains(r.Reason, "status 404") {
		t.Errorf("wrong status: %+v", r)
	}
	if got := active(); got != good {
		t.Errorf("active %s, want %s", got, good)
	}
}

// A switch whose health check failed is never confirmed, even when the first reject does
// not get through: the reject is sent again.
func TestFailedCheckIsNeverConfirmed(t *testing.T) {
	f := newFleet(t, 1)
	if err := os.WriteFile(filepath.Join(f.ctl, "flaky-reject"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	tg := f.targets()
	tg[0].HealthChecks = []eval.HealthCheck{{Name: "app", Kind: "command", Command: "echo broken; exit 1", Timeout: 5, Retries: 1}}
	rep, _ := Run(context.Background(), f.options(t, log), tg)
	r := rep.Hosts[0]
	if r.Result != ResultRolledBack || !strings.Contains(r.Reason, "health check app failed") {
		t.Errorf("result %+v, want rolled back by the check", r)
	}
	for _, c := range deploytest.Calls(t, f.ctl) {
		if strings.Contains(c, " confirm ") {
			t.Errorf("a switch whose check failed was confirmed: %q", deploytest.Calls(t, f.ctl))
		}
	}
	if _, err := os.Stat(filepath.Join(f.ctl, "flaky-reject")); err == nil {
		t.Error("the first reject was never tried; the test proves nothing")
	}
}

// A TCP check's host may be an IPv6 address in brackets; the address dialled has them once.
func TestTCPCheckHostBrackets(t *testing.T) {
	for in, want := range map[string]string{
		"[fd00::1]":       "[fd00::1]:80",
		"fd00::1":         "[fd00::1]:80",
		"web.example.org": "web.example.org:80",
		"198.18.0.12":     "198.18.0.12:80",
		"[fe80::1%eth0]":  "[fe80::1%eth0]:80",
	} {
		if got := net.JoinHostPort(unbracket(in), "80"); got != want {
			t.Errorf("host %q: dials %q, want %q", in, got, want)
		}
	}
}
