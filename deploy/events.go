package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// TextEvents returns an event sink writing plain `[host] phase: message` lines, for
// output that is not a terminal. Progress events are written only when their message
// says more than a byte count (every path done), to keep logs readable.
func TextEvents(w io.Writer) func(Event) {
	return func(e Event) {
		switch e.Kind {
		case KindStart:
			fmt.Fprintf(w, "[%s] %s: %s\n", e.Host, e.Phase, e.Message)
		case KindResult:
			msg := string(e.Result)
			if e.Message != "" {
				msg += ": " + e.Message
			}
			fmt.Fprintf(w, "[%s] %s (%s)\n", e.Host, msg, e.Duration.Round(100*time.Millisecond))
		case KindError:
			fmt.Fprintf(w, "[%s] %s: error: %s\n", e.Host, e.Phase, e.Message)
		default:
			if e.Kind == KindProgress && e.TotalBytes > 0 && e.Paths < e.TotalPaths && e.Paths > 0 {
				return // intermediate copy progress: the live display shows it, logs need not
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

// LiveDisplay is a multi-line terminal display: one line per host, redrawn in place.
// Use it when the output is a terminal.
type LiveDisplay struct {
	mu     sync.Mutex
	w      io.Writer
	hosts  []string
	lines  map[string]string
	drawn  int
	width  int
	closed bool
}

// NewLiveDisplay makes a display for hosts, in that order. width bounds a line (0: 120).
func NewLiveDisplay(w io.Writer, hosts []string, width int) *LiveDisplay {
	if width <= 0 {
		width = 120
	}
	d := &LiveDisplay{w: w, hosts: hosts, lines: map[string]string{}, width: width}
	for _, h := range hosts {
		d.lines[h] = "waiting"
	}
	return d
}

// Event updates the host's line and redraws. It is an event sink.
func (d *LiveDisplay) Event(e Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	switch e.Kind {
	case KindResult:
		d.lines[e.Host] = fmt.Sprintf("%s (%s) %s", e.Result, e.Duration.Round(100*time.Millisecond), e.Message)
	case KindError:
		d.lines[e.Host] = e.Phase.Title() + ": error: " + e.Message
	case KindStart:
		d.lines[e.Host] = e.Phase.Title() + " …"
	default:
		d.lines[e.Host] = e.Phase.Title() + ": " + e.Message
	}
	d.redraw()
}

func (d *LiveDisplay) redraw() {
	var b strings.Builder
	if d.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", d.drawn)
	}
	nameWidth := 0
	for _, h := range d.hosts {
		nameWidth = max(nameWidth, len(h))
	}
	for _, h := range d.hosts {
		line := fmt.Sprintf("%-*s  %s", nameWidth, h, d.lines[h])
		if r := []rune(line); len(r) > d.width {
			line = string(r[:d.width-1]) + "…"
		}
		b.WriteString("\r\x1b[2K" + line + "\n")
	}
	d.drawn = len(d.hosts)
	io.WriteString(d.w, b.String())
}

// Close stops redrawing; the last state stays on screen.
func (d *LiveDisplay) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
}
