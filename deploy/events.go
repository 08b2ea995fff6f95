package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nixmesh/nixmesh/internal/progress"
)

// TextEvents returns an event sink writing plain `[host] phase: message` lines, for
// output that is not a terminal. Copy progress is written at every tenth of the bytes,
// not at every read, to keep logs readable.
func TextEvents(w io.Writer) func(Event) {
	decile := map[string]int64{} // per host: the last tenth of the copy written
	return func(e Event) {
		switch e.Kind {
		case KindStart:
			// "[web] Copy closure": the phase's title says it; the phase's own name is
			// on the lines that follow ("[web] copy: 1/3 paths").
			fmt.Fprintf(w, "[%s] %s\n", e.Host, e.Message)
		case KindResult:
			msg := string(e.Result)
			if e.Message != "" {
				msg += ": " + e.Message
			}
			fmt.Fprintf(w, "[%s] %s (%s)\n", e.Host, msg, e.Duration.Round(100*time.Millisecond))
		case KindError:
			fmt.Fprintf(w, "[%s] %s: error: %s\n", e.Host, e.Phase, e.Message)
		default:
			if e.Kind == KindProgress && e.Bytes > 0 && e.TotalBytes > 0 {
				d := e.Bytes * 10 / e.TotalBytes
				if d <= decile[e.Host] || d >= 10 {
					return
				}
				decile[e.Host] = d
			}
			fmt.Fprintf(w, "[%s] %s: %s\n", e.Host, e.Phase, e.Message)
		}
	}
}

// JSONEvents returns an event sink writing one JSON object per line.
func JSONEvents(w io.Writer) func(Event) {
	enc := json.NewEncoder(w)
	return func(e Event) { enc.Encode(e) }
}

// ProgressEvents returns an event sink that drives a live multi-line display (one line
// per host: its phase and latest progress), for output that is a terminal.
func ProgressEvents(d *progress.Display) func(Event) {
	return func(e Event) {
		title := e.Phase.Title()
		switch e.Kind {
		case KindStart:
			d.Status(e.Host, title)
		case KindError:
			fmt.Fprintln(d.Writer(e.Host), "error: "+e.Message)
		case KindResult:
			summary := string(e.Result)
			if e.Message != "" {
				summary += ": " + e.Message
			}
			ok := e.Result == ResultOK || e.Result == ResultUnchanged || e.Result == ResultWouldApply || e.Result == ResultSkipped
			d.Finish(e.Host, summary, ok)
		default:
			if line, ok := strings.CutPrefix(e.Message, "log: "); ok {
				fmt.Fprintln(d.Writer(e.Host), line)
				return
			}
			d.Status(e.Host, title+": "+e.Message)
		}
	}
}
