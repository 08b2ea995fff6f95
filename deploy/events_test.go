package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/progress"
)

func TestTextAndJSONEvents(t *testing.T) {
	events := []Event{
		{Host: "web", Phase: PhaseCopy, Kind: KindStart, Message: "Copy closure"},
		{Host: "web", Phase: PhaseCopy, Kind: KindProgress, Message: "3 of 3 paths missing", TotalPaths: 3, TotalBytes: 30},
		{Host: "web", Phase: PhaseCopy, Kind: KindProgress, Message: "0/3 paths", Paths: 0, TotalPaths: 3, Bytes: 1, TotalBytes: 30},
		{Host: "web", Phase: PhaseCopy, Kind: KindProgress, Message: "1/3 paths", Paths: 1, TotalPaths: 3, Bytes: 10, TotalBytes: 30},
		{Host: "web", Phase: PhaseCopy, Kind: KindProgress, Message: "1/3 paths", Paths: 1, TotalPaths: 3, Bytes: 11, TotalBytes: 30},
		{Host: "web", Phase: PhaseCopy, Kind: KindProgress, Message: "3/3 paths", Paths: 3, TotalPaths: 3, Bytes: 30, TotalBytes: 30},
		{Host: "web", Phase: PhaseCopy, Kind: KindDone, Message: "copied 3 paths", Paths: 3, TotalPaths: 3, Bytes: 30, TotalBytes: 30},
		{Host: "web", Phase: PhaseConfirm, Kind: KindError, Message: "rolled back: boom"},
		{Host: "web", Phase: PhaseDone, Kind: KindResult, Result: ResultRolledBack, Message: "rolled back: boom", Duration: 1500 * time.Millisecond},
	}
	var text bytes.Buffer
	sink := TextEvents(&text)
	for _, e := range events {
		sink(e)
	}
	want := "[web] Copy closure\n[web] copy: 3 of 3 paths missing\n[web] copy: 1/3 paths\n[web] copy: copied 3 paths\n[web] confirm: error: rolled back: boom\n[web] rolled-back: rolled back: boom (1.5s)\n"
	if text.String() != want {
		t.Errorf("text events:\n%s\nwant:\n%s", text.String(), want)
	}

	var js bytes.Buffer
	sink = JSONEvents(&js)
	for _, e := range events {
		sink(e)
	}
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if len(lines) != len(events) {
		t.Fatalf("%d JSON lines for %d events", len(lines), len(events))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[3]), &got); err != nil {
		t.Fatal(err)
	}
	if got["host"] != "web" || got["phase"] != "copy" || got["kind"] != "progress" || got["bytes"] != 10.0 || got["totalPaths"] != 3.0 {
		t.Errorf("JSON event %v", got)
	}
}

func TestExitCode(t *testing.T) {
	he := func(r Result) HostResult {
		return HostResult{Result: r, Err: &HostError{Host: "h", Phase: PhaseConfirm, Err: errors.New(string(r))}}
	}
	for _, c := range []struct {
		hosts       []HostResult
		interrupted bool
		want        int
	}{
		{[]HostResult{{Result: ResultOK}, {Result: ResultUnchanged}, {Result: ResultSkipped}}, false, 0},
		{[]HostResult{{Result: ResultOK}, he(ResultRolledBack)}, false, 6},
		{[]HostResult{he(ResultFailed), he(ResultRolledBack)}, false, 5},
		{[]HostResult{he(ResultFailed), he(ResultCancelled)}, true, 130},
		{[]HostResult{{Result: ResultOK}, he(ResultCancelled)}, true, 130},
		{[]HostResult{he(ResultRolledBack), he(ResultCancelled)}, true, 130},
		{[]HostResult{he(ResultFailed), he(ResultCancelled)}, false, 5}, // --keep-going=false
	} {
		r := Report{Hosts: c.hosts, Interrupted: c.interrupted}
		if got := r.ExitCode(); got != c.want {
			t.Errorf("%v interrupted=%v: exit code %d, want %d", c.hosts, c.interrupted, got, c.want)
		}
	}
}

func TestProgressEventsPlain(t *testing.T) {
	var out bytes.Buffer
	d := progress.New(&out, []string{"web"}, progress.Options{})
	sink := ProgressEvents(d)
	sink(Event{Host: "web", Phase: PhaseCopy, Kind: KindStart})
	sink(Event{Host: "web", Phase: PhaseConfirm, Kind: KindProgress, Message: "log: boom: a unit failed"})
	sink(Event{Host: "web", Phase: PhaseDone, Kind: KindResult, Result: ResultRolledBack, Message: "rolled back: boom"})
	d.Close()
	for _, want := range []string{"[web] Copy closure", "[web] boom: a unit failed", "[web] rolled-back: rolled back: boom"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("display lacks %q:\n%s", want, out.String())
		}
	}
}
