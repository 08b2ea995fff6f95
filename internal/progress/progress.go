// Package progress shows the progress of parallel per-host work (builds, deploys). On a
// terminal it keeps one live line per host — state, step, elapsed time and the host's
// latest log line — redrawn in place, and prints failed hosts' last log lines above it;
// elsewhere (a pipe, a CI log) it prints plain "[host] line" lines. It imports nothing
// of nixmesh, so eval and deploy can both report through it.
package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// Options configure a Display.
type Options struct {
	// Live redraws a block of per-host lines in place (needs a terminal); otherwise every
	// event is a plain "[host] ..." line.
	Live bool
	// Width is the terminal width for live lines (0: 80).
	Width int
	// Verbose, in live mode, also prints every log line above the block.
	Verbose bool
	// Tick, when > 0 in live mode, redraws this often so spinners and elapsed times move.
	Tick time.Duration
	// TailLines is how many of a failed host's last log lines live mode prints (0: 10).
	TailLines int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Auto returns a Display on w that is live when w is a terminal and plain otherwise.
func Auto(w io.Writer, hosts []string, verbose bool) *Display {
	opts := Options{Verbose: verbose}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Live = true
		opts.Tick = 200 * time.Millisecond
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			opts.Width = width
		}
	}
	return New(w, hosts, opts)
}

type state int

const (
	pending state = iota
	running
	succeeded
	failed
)

type host struct {
	name    string
	state   state
	status  string
	last    string   // latest log line
	tail    []string // last TailLines log lines
	started time.Time
	ended   time.Time
	summary string
	writer  *hostWriter
}

// Display reports per-host progress. Its methods are safe for concurrent use.
type Display struct {
	w    io.Writer
	opts Options

	mu      sync.Mutex
	hosts   []*host
	byName  map[string]*host
	width   int // of the host name column
	pending []string
	drawn   int
	frame   int
	stop    chan struct{}
	stopped chan struct{}
}

// New returns a Display on w for the given hosts (more appear as they are mentioned).
func New(w io.Writer, hosts []string, opts Options) *Display {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	if opts.TailLines <= 0 {
		opts.TailLines = 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Display{w: w, opts: opts, byName: map[string]*host{}}
	for _, h := range hosts {
		d.host(h)
	}
	if opts.Live {
		d.render()
		if opts.Tick > 0 {
			d.stop, d.stopped = make(chan struct{}), make(chan struct{})
			go d.tick()
		}
	}
	return d
}

func (d *Display) tick() {
	defer close(d.stopped)
	t := time.NewTicker(d.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.mu.Lock()
			d.frame++
			d.render()
			d.mu.Unlock()
		}
	}
}

// host returns the named host's entry, adding it; d.mu must be held (or d not shared yet).
func (d *Display) host(name string) *host {
	if h, ok := d.byName[name]; ok {
		return h
	}
	h := &host{name: name}
	d.hosts = append(d.hosts, h)
	d.byName[name] = h
	d.width = max(d.width, utf8.RuneCountInString(name))
	return h
}

// Status sets the host's current step and marks it running.
func (d *Display) Status(name, status string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.host(name)
	if h.state == pending {
		h.state = running
		h.started = d.opts.Now()
	}
	h.status = status
	if !d.opts.Live {
		d.plain(name, status)
		return
	}
	d.render()
}

// Done marks the host's build finished (eval.Progress): "built" when err is nil (or
// "already built" when that was its status: nothing was built), else failed with err's
// first line. Other work ends with Finish and a summary of its own.
func (d *Display) Done(name string, err error) {
	if err == nil {
		d.mu.Lock()
		summary := "built"
		if d.host(name).status == "already built" {
			summary = "already built"
		}
		d.mu.Unlock()
		d.Finish(name, summary, true)
		return
	}
	d.Finish(name, "failed: "+firstLine(err.Error()), false)
}

// Finish marks the host finished with a summary of its own ("switched", "rolled back:
// ..."), as a success (✓) or not (✗, and in live mode its last log lines are printed).
func (d *Display) Finish(name, summary string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.host(name)
	if h.started.IsZero() {
		h.started = d.opts.Now()
	}
	h.ended = d.opts.Now()
	h.summary = summary
	if ok {
		h.state = succeeded
	} else {
		h.state = failed
	}
	if !d.opts.Live {
		if summary != h.status { // the line just printed is not printed twice
			d.plain(name, summary)
		}
		return
	}
	if !ok && !d.opts.Verbose {
		for _, l := range h.tail {
			d.pending = append(d.pending, "["+name+"] "+l)
		}
	}
	d.render()
}

// Printf prints a line that is not about one host (above the live block).
func (d *Display) Printf(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	line := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	if !d.opts.Live {
		fmt.Fprintln(d.w, line)
		return
	}
	d.pending = append(d.pending, line)
	d.render()
}

// Writer returns a writer for the host's log: complete lines become "[host] line" in
// plain mode; in live mode the latest shows on the host's line (every line above the
// block when Verbose), and the last ones are printed if the host fails.
// Every call for the same host returns the same writer, so partial lines join up.
func (d *Display) Writer(name string) io.Writer {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.host(name)
	if h.writer == nil {
		h.writer = &hostWriter{d: d, name: name}
	}
	return h.writer
}

type hostWriter struct {
	d    *Display
	name string
	mu   sync.Mutex
	buf  []byte
}

func (w *hostWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := strings.TrimRight(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		w.d.log(w.name, line)
	}
}

func (w *hostWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		line := string(w.buf)
		w.buf = nil
		w.d.log(w.name, line)
	}
}

func (d *Display) log(name, line string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.host(name)
	if !d.opts.Live {
		d.plain(name, line)
		return
	}
	if strings.TrimSpace(line) != "" {
		h.last = line
	}
	h.tail = append(h.tail, line)
	if len(h.tail) > d.opts.TailLines {
		h.tail = h.tail[len(h.tail)-d.opts.TailLines:]
	}
	if d.opts.Verbose {
		d.pending = append(d.pending, "["+name+"] "+line)
	}
	d.render()
}

// Close flushes unfinished log lines, stops redrawing and leaves the final state of
// every host on screen. Call it once.
func (d *Display) Close() {
	if d.stop != nil {
		close(d.stop)
		<-d.stopped
	}
	d.mu.Lock()
	writers := []*hostWriter{}
	for _, h := range d.hosts {
		if h.writer != nil {
			writers = append(writers, h.writer)
		}
	}
	d.mu.Unlock()
	for _, w := range writers {
		w.flush()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opts.Live {
		d.render()
	}
}

func (d *Display) plain(name, line string) {
	fmt.Fprintf(d.w, "[%s] %s\n", name, line)
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// render erases the block drawn last, prints pending permanent lines, and draws the
// block again; d.mu must be held.
func (d *Display) render() {
	var b strings.Builder
	if d.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", d.drawn)
	}
	b.WriteString("\r\x1b[J")
	for _, l := range d.pending {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	d.pending = nil
	for _, h := range d.hosts {
		b.WriteString(truncate(d.row(h), d.opts.Width-1))
		b.WriteByte('\n')
	}
	d.drawn = len(d.hosts)
	io.WriteString(d.w, b.String())
}

func (d *Display) row(h *host) string {
	name := h.name + strings.Repeat(" ", d.width-utf8.RuneCountInString(h.name))
	switch h.state {
	case pending:
		return fmt.Sprintf("· %s  waiting", name)
	case running:
		s := fmt.Sprintf("%s %s  %s %s", spinner[d.frame%len(spinner)], name, h.status, elapsed(d.opts.Now().Sub(h.started)))
		if h.last != "" {
			s += "  " + strings.TrimSpace(h.last)
		}
		return s
	case succeeded:
		return fmt.Sprintf("✓ %s  %s %s", name, h.summary, elapsed(h.ended.Sub(h.started)))
	default:
		return fmt.Sprintf("✗ %s  %s %s", name, h.summary, elapsed(h.ended.Sub(h.started)))
	}
}

func elapsed(d time.Duration) string {
	return fmt.Sprintf("(%.1fs)", d.Seconds())
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// truncate cuts s to n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
