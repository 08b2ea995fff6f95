package deploy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/eval"
)

// A route table as Linux prints it: a default route via 192.0.2.1 on eth0, the eth0
// subnet 192.0.2.0/24, a lab bridge's 198.18.0.0/24, and a route that is down.
const routeTableText = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
nmlab0	000012C6	00000000	0001	0	0	0	00FFFFFF	0	0	0
nmdown	000112C6	00000000	0000	0	0	0	00FFFFFF	0	0	0
`

func TestBestRoute(t *testing.T) {
	for addr, want := range map[string]int{
		"198.18.0.12": 24, // the lab bridge
		"198.18.1.5":  0,  // its route is down: only the default route is left
		"192.0.2.9":   24,
		"8.8.8.8":     0,
	} {
		bits, found := bestRoute(strings.NewReader(routeTableText), netip.MustParseAddr(addr))
		if !found || bits != want {
			t.Errorf("%s: best route /%d (found %v), want /%d", addr, bits, found, want)
		}
	}
	noDefault := strings.Join(strings.Split(routeTableText, "\n")[2:], "\n")
	if _, found := bestRoute(strings.NewReader("header\n"+noDefault), netip.MustParseAddr("8.8.8.8")); found {
		t.Errorf("8.8.8.8 without a default route: a route was found")
	}
}

// withGuard points the guard at loopback (so that a connection it fails to stop stays
// on this machine) and at a route table of the test's.
func withGuard(t *testing.T, table string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "route")
	if err := os.WriteFile(f, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	oldRange, oldTable := guardedRange, routeTable
	guardedRange, routeTable = netip.MustParsePrefix("127.0.0.0/8"), f
	t.Cleanup(func() { guardedRange, routeTable = oldRange, oldTable })
}

// countingListener counts the connections that reach it.
func countingListener(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), accepted
}

const defaultOnly = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n" +
	"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"

// The deployer does not open a connection into the lab's range through the default
// route (a lab that is down): not for SSH, nor for a tcp or http health check. The error
// says why, is final (no retries), and nothing reaches the address. With a route of
// its own (the lab's bridge) or NIXMESH_ALLOW_BENCHMARK_RANGE=1 the connection is made.
func TestLabGuardRefusesTheDefaultRoute(t *testing.T) {
	withGuard(t, defaultOnly)
	addr, accepted := countingListener(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, _, err := dialBounded(ctx, nil, addr)
	var guard *errBenchmarkRange
	if !errors.As(err, &guard) || !errors.Is(err, ErrConnect) || retryable(err) {
		t.Fatalf("SSH dial through the default route: %v (guard %v, retryable %v)", err, guard != nil, retryable(err))
	}
	for _, want := range []string{"cannot connect to " + addr + ": 127.0.0.1 is in 127.0.0.0/8 (the lab's range)", "default route", "nixmesh lab status", "Nothing was sent", AllowBenchmarkRangeEnv + "=1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}

	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	web := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { accepted.Add(1) }))
	defer web.Close()
	h := &hostRun{dialer: &dialer{}}
	checks := []eval.HealthCheck{
		{Name: "tcp", Kind: "tcp", Host: &host, Port: p, Timeout: 5, Retries: 1},
		{Name: "http", Kind: "http", URL: web.URL, Status: 200, Timeout: 5, Retries: 1},
	}
	for _, c := range checks {
		if _, err := h.runCheck(ctx, c, nil); !errors.As(err, &guard) {
			t.Errorf("%s check through the default route: %v, want the guard's refusal", c.Name, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the guarded address", n)
	}

	allowed := func(how string) {
		conn, stop, err := dialBounded(ctx, nil, addr)
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		stop()
		conn.Close()
		for _, c := range checks {
			if _, err := h.runCheck(ctx, c, nil); err != nil {
				t.Errorf("%s: %s check: %v", how, c.Name, err)
			}
		}
	}
	t.Run("env", func(t *testing.T) {
		t.Setenv(AllowBenchmarkRangeEnv, "1")
		allowed(AllowBenchmarkRangeEnv + "=1")
	})
	withGuard(t, defaultOnly+"lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n")
	allowed("a route of its own")
}
