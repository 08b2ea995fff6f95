package progress

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// clock advances one second per reading.
func clock() func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func TestPlain(t *testing.T) {
	var out strings.Builder
	d := New(&out, []string{"web", "db"}, Options{Now: clock()})
	d.Status("web", "building")
	fmt.Fprint(d.Writer("web"), "line one\nline ")
	fmt.Fprint(d.Writer("web"), "two\n")
	d.Done("web", nil)
	d.Done("db", errors.New("builder failed\nmore"))
	d.Printf("summary %d", 1)
	d.Close()
	want := "[web] building\n[web] line one\n[web] line two\n[web] done\n[db] failed: builder failed\nsummary 1\n"
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
	d := New(&out, []string{"gateway", "web"}, Options{Live: true, Width: 60, Now: clock()})
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
	d.Done("web", errors.New("builder failed"))
	d.Status("gateway", "building")
	d.Done("gateway", nil)
	d.Close()
	got = screen(out.String())
	if len(got) != 2 || !strings.HasPrefix(got[0], "✓ gateway  done (") || !strings.HasPrefix(got[1], "✗ web      failed (") || !strings.HasSuffix(got[1], ": builder failed") {
		t.Errorf("final block = %q", got)
	}
	// The failed host's log tail was printed once, above the block, and stays there.
	if n := strings.Count(out.String(), "[web] error: it broke\n"); n != 1 {
		t.Errorf("failed host's log printed %d times, want 1:\n%q", n, out.String())
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
