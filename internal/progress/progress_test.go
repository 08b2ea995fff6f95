package progress

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when the test says so.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func clock() func() time.Time { return newClock().now }

func TestPlain(t *testing.T) {
	var out strings.Builder
	d := New(&out, []string{"web", "db", "gw"}, Options{Now: clock()})
	d.Status("gw", "already built")
	d.Done("gw", nil)
	d.Status("web", "building")
	fmt.Fprint(d.Writer("web"), "line one\nline ")
	fmt.Fprint(d.Writer("web"), "two\n")
	d.Done("web", nil)
	d.Done("db", errors.New("builder failed\nmore"))
	d.Printf("summary %d", 1)
	d.Close()
	want := "[gw] already built\n[web] building\n[web] line one\n[web] line two\n[web] built\n[db] failed: builder failed\nsummary 1\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// screen returns what a terminal shows after the last redraw: every redraw starts with
// "\r\x1b[J" after moving up over the previous block.
func screen(out string) []string {
	i := strings.LastIndex(out, "\r\x1b[J")
	return strings.Split(strings.TrimSuffix(out[i+len("\r\x1b[J"):], "\n"), "\n")
}

func TestLive(t *testing.T) {
	var out strings.Builder
	c := newClock()
	d := New(&out, []string{"gateway", "web"}, Options{Live: true, Width: 60, Now: c.now})
	if got := screen(out.String()); len(got) != 2 || got[0] != "· gateway  waiting" || got[1] != "· web      waiting" {
		t.Fatalf("initial block = %q", got)
	}
	d.Status("web", "building")
	fmt.Fprint(d.Writer("web"), "compiling something quite long that will not fit in the line at all\n")
	got := screen(out.String())
	if !strings.HasPrefix(got[1], "⠋ web      building (") || !strings.HasSuffix(got[1], "…") || len([]rune(got[1])) != 59 {
		t.Errorf("running row = %q (want status, elapsed, latest log line cut to the width)", got[1])
	}
	// Each redraw moves up over exactly the block drawn before.
	if !strings.Contains(out.String(), "\x1b[2A\r\x1b[J") {
		t.Errorf("redraw does not move up over the 2-line block: %q", out.String())
	}

	fmt.Fprint(d.Writer("web"), "error: it broke\n")
	c.advance(1500 * time.Millisecond)
	d.Done("web", errors.New("builder failed"))
	d.Status("gateway", "building")
	c.advance(2 * time.Second)
	d.Done("gateway", nil)
	d.Close()
	got = screen(out.String())
	if len(got) != 2 || got[0] != "✓ gateway  built (2.0s)" || got[1] != "✗ web      failed: builder failed (1.5s)" {
		t.Errorf("final block = %q", got)
	}
	// The failed host's log tail was printed once, above the block, and stays there.
	if n := strings.Count(out.String(), "[web] error: it broke\n"); n != 1 {
		t.Errorf("failed host's log printed %d times, want 1:\n%q", n, out.String())
	}
}

func TestFinishWithSummary(t *testing.T) {
	var plain strings.Builder
	d := New(&plain, nil, Options{Now: clock()})
	d.Finish("web", "rolled back: no confirmation", false)
	d.Close()
	if plain.String() != "[web] rolled back: no confirmation\n" {
		t.Errorf("plain = %q", plain.String())
	}
	var live strings.Builder
	c := newClock()
	d = New(&live, []string{"web"}, Options{Live: true, Now: c.now})
	d.Status("web", "activating")
	c.advance(time.Second)
	d.Finish("web", "switched", true)
	d.Close()
	if got := screen(live.String()); len(got) != 1 || got[0] != "✓ web  switched (1.0s)" {
		t.Errorf("live = %q", got)
	}
}

func TestLiveVerbosePrintsEveryLineOnce(t *testing.T) {
	var out strings.Builder
	d := New(&out, nil, Options{Live: true, Verbose: true, Now: clock()})
	w := d.Writer("a")
	fmt.Fprint(w, "1\n2\n")
	d.Done("a", errors.New("x"))
	d.Close()
	for _, l := range []string{"[a] 1\n", "[a] 2\n"} {
		if n := strings.Count(out.String(), l); n != 1 {
			t.Errorf("%q printed %d times, want 1", l, n)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{{"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"äöüß", 2, "ä…"}, {"x", 0, "x"}} {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
