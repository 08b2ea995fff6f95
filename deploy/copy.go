package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
)

// argChunk bounds the number of store paths passed in one command line.
const argChunk = 500

// localClosure lists the closure of path, dependencies first (nix-store -qR prints a
// reversed topological order, which is the order nix-store --import needs).
func localClosure(ctx context.Context, env []string, path string) ([]string, error) {
	out, err := command.Output(ctx, command.Cmd{Argv: []string{"nix-store", "-qR", path}, Env: env})
	if err != nil {
		return nil, fmt.Errorf("computing the closure of %s: %w", path, err)
	}
	return command.Lines(string(out)), nil
}

// localSizes returns the NAR size of each path.
func localSizes(ctx context.Context, env []string, paths []string) ([]int64, error) {
	var sizes []int64
	for _, chunk := range chunks(paths, argChunk) {
		out, err := command.Output(ctx, command.Cmd{Argv: append([]string{"nix-store", "-q", "--size"}, chunk...), Env: env})
		if err != nil {
			return nil, fmt.Errorf("querying path sizes: %w", err)
		}
		lines := command.Lines(string(out))
		if len(lines) != len(chunk) {
			return nil, fmt.Errorf("nix-store -q --size: %d sizes for %d paths", len(lines), len(chunk))
		}
		for _, l := range lines {
			n, err := strconv.ParseInt(l, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("nix-store -q --size: %q: %w", l, err)
			}
			sizes = append(sizes, n)
		}
	}
	return sizes, nil
}

func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// missingOn asks the host which of paths it does not have, one command per chunk, and
// returns them in the order given. The query runs as root (through the privilege
// escalation when the SSH user is not): with single-user Nix, where root owns /nix and no
// daemon runs, another user cannot open the store's database at all.
func (h *hostRun) missingOn(ctx context.Context, paths []string) ([]string, error) {
	invalid := map[string]bool{}
	for _, chunk := range chunks(paths, argChunk) {
		argv := h.asRoot(append([]string{"nix-store", "--check-validity", "--print-invalid"}, chunk...)...)
		out, err := h.conn.Run(ctx, remoteCmd{Argv: argv})
		if err != nil {
			return nil, fmt.Errorf("asking which paths are missing: %w", withStderr(err))
		}
		for _, l := range command.Lines(string(out)) {
			invalid[l] = true
		}
	}
	var missing []string
	for _, p := range paths {
		if invalid[p] {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// substituteOnTarget has the host fetch what it can of the missing paths from its own
// substituters (`nix-store --realise --keep-going`: a path no substituter has is no
// error here) and returns the paths still missing, which are then streamed.
func (h *hostRun) substituteOnTarget(ctx context.Context, missing []string) ([]string, error) {
	if h.opts.DryRun {
		argv := h.asRoot(append([]string{"nix-store", "--realise", "--keep-going"}, missing...)...)
		h.change(ctx, h.conn, h.sshLine(argv)+"   # fetch from the host's substituters first", remoteCmd{})
		return missing, nil
	}
	h.event(KindProgress, fmt.Sprintf("asking the host to fetch %d missing paths from its substituters", len(missing)))
	for _, chunk := range chunks(missing, argChunk) {
		argv := h.asRoot(append([]string{"nix-store", "--realise", "--keep-going"}, chunk...)...)
		// Paths no substituter has make it exit non-zero; what it fetched counts.
		if _, err := h.conn.Run(ctx, remoteCmd{Argv: argv, Stdout: io.Discard}); err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	still, err := h.missingOn(ctx, missing)
	if err != nil {
		return nil, err
	}
	h.event(KindProgress, fmt.Sprintf("the host fetched %d of %d missing paths from its substituters; %d to copy", len(missing)-len(still), len(missing), len(still)))
	return still, nil
}

// copyClosure sends the part of the toplevel's closure the host lacks: a local
// `nix-store --export` streamed straight into `nix-store --import` on the host, over the
// shared connection, without temporary files.
func (h *hostRun) copyClosure(ctx context.Context) error {
	source := h.t.Toplevel
	if h.t.Derivation != "" {
		source = h.t.Derivation // buildOnTarget: the derivations and sources go
	}
	closure, err := localClosure(ctx, h.opts.NixEnv, source)
	if err != nil {
		return err
	}
	missing, err := h.missingOn(ctx, closure)
	if err != nil {
		return err
	}
	if h.opts.DryRun && h.t.Derivation == "" {
		h.dryRunDiff(ctx, closure)
	}
	if h.t.SubstituteOnTarget && len(missing) > 0 {
		if missing, err = h.substituteOnTarget(ctx, missing); err != nil {
			return err
		}
	}
	sizes, err := localSizes(ctx, h.opts.NixEnv, missing)
	if err != nil {
		return err
	}
	var total int64
	for _, s := range sizes {
		total += s
	}
	if len(missing) == 0 {
		h.event(KindDone, fmt.Sprintf("all %d paths already on the host", len(closure)))
		return nil
	}
	h.emit(Event{Time: time.Now(), Host: h.t.Name, Phase: PhaseCopy, Kind: KindProgress,
		Message:    fmt.Sprintf("%d of %d paths missing (%s)", len(missing), len(closure), HumanBytes(total)),
		TotalPaths: len(missing), TotalBytes: total})

	importArgv := h.asRoot("nix-store", "--import")
	display := fmt.Sprintf("nix-store --export %s | %s", strings.Join(missing, " "), h.sshLine(importArgv))
	if h.opts.DryRun {
		h.res.CopiedPaths, h.res.CopiedBytes = len(missing), total
		_, err := h.change(ctx, h.conn, display, remoteCmd{Argv: importArgv})
		if errors.Is(err, errDryRun) {
			return nil
		}
		return err
	}

	pr, pw := io.Pipe()
	exportCtx, cancelExport := context.WithCancel(ctx)
	defer cancelExport()
	exportDone := make(chan error, 1)
	go func() {
		err := command.Run(exportCtx, command.Cmd{Argv: append([]string{"nix-store", "--export"}, missing...), Env: h.opts.NixEnv}, pw)
		pw.CloseWithError(err)
		exportDone <- err
	}()
	counter := &progressReader{r: pr, h: h, sizes: sizes, total: total, lastRead: time.Now()}
	// A copy that moves no byte for CopyStallTimeout is given up: the import and the
	// connection are closed (the host may be dark; keepalives close it too).
	importCtx, cancelImport := context.WithCancelCause(ctx)
	defer cancelImport(nil)
	stall := durationOr(h.opts.CopyStallTimeout, 60*time.Second)
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		tick := time.NewTicker(min(stall/4, time.Second))
		defer tick.Stop()
		for {
			select {
			case <-watchDone:
				return
			case <-tick.C:
				if idle := counter.idle(); idle >= stall {
					cancelImport(fmt.Errorf("%w: no byte moved for %s", ErrCopyStalled, idle.Round(time.Second)))
					if c := h.conn; c != nil {
						c.Close()
					}
					return
				}
			}
		}
	}()
	// nix-store --import prints each path it imported: that list is the proof that every
	// missing path arrived, without asking the host again.
	var imported bytes.Buffer
	_, err = h.change(importCtx, h.conn, display, remoteCmd{Argv: importArgv, Stdin: counter, Stdout: &imported})
	if cause := context.Cause(importCtx); err != nil && errors.Is(cause, ErrCopyStalled) {
		h.conn = nil // closed by the watch
		err = cause
	}
	// The import ended: unblock and stop an export that is still writing.
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		cancelExport()
	}
	exportErr := <-exportDone
	if err != nil {
		if pe := processErr(exportErr); pe != nil && pe.ExitCode > 0 {
			return fmt.Errorf("exporting paths: %w", exportErr)
		}
		return fmt.Errorf("importing paths on the host: %w", withStderr(err))
	}
	if exportErr != nil {
		return fmt.Errorf("exporting paths: %w", exportErr)
	}
	arrived := map[string]bool{}
	for _, p := range command.Lines(imported.String()) {
		arrived[p] = true
	}
	var still []string
	for _, p := range missing {
		if !arrived[p] {
			still = append(still, p)
		}
	}
	if len(still) > 0 {
		return fmt.Errorf("%d paths still missing on the host after the import, first %s", len(still), still[0])
	}
	h.res.CopiedPaths, h.res.CopiedBytes = len(missing), total
	h.emit(Event{Time: time.Now(), Host: h.t.Name, Phase: PhaseCopy, Kind: KindDone,
		Message: fmt.Sprintf("copied %d paths (%s)", len(missing), HumanBytes(total)),
		Paths:   len(missing), TotalPaths: len(missing), Bytes: total, TotalBytes: total})
	return nil
}

// progressReader counts the export stream and emits progress. The paths done are
// estimated from the cumulative NAR sizes, since each path's entry in the stream is its
// NAR plus a few hundred bytes.
type progressReader struct {
	r        io.Reader
	h        *hostRun
	sizes    []int64
	total    int64
	n        int64
	done     int
	lastEmit time.Time

	mu       sync.Mutex
	lastRead time.Time // when a byte last moved
	ended    bool      // the export stream ended
}

// idle is how long no byte has moved; 0 once the stream has ended (the host is then
// finishing the import, and a host gone dark then is the keepalives' business).
func (p *progressReader) idle() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return 0
	}
	return time.Since(p.lastRead)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 || err != nil {
		p.mu.Lock()
		p.lastRead = time.Now()
		p.ended = p.ended || err != nil
		p.mu.Unlock()
	}
	p.n += int64(n)
	var cum int64
	done := 0
	for _, s := range p.sizes {
		cum += s
		if cum > p.n {
			break
		}
		done++
	}
	if done != p.done || time.Since(p.lastEmit) > 500*time.Millisecond {
		p.done, p.lastEmit = done, time.Now()
		bytes := min(p.n, p.total)
		p.h.emit(Event{Time: p.lastEmit, Host: p.h.t.Name, Phase: PhaseCopy, Kind: KindProgress,
			Message: fmt.Sprintf("%d/%d paths, %s/%s", done, len(p.sizes), HumanBytes(bytes), HumanBytes(p.total)),
			Paths:   done, TotalPaths: len(p.sizes), Bytes: bytes, TotalBytes: p.total})
	}
	return n, err
}

// HumanBytes writes a byte count in binary units, e.g. "1.5 GiB" (bytes below 1 KiB).
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// buildOnHost realises the copied derivation on the host (buildOnTarget), as root, with
// the host's own Nix and substituters; its build log goes out as events.
func (h *hostRun) buildOnHost(ctx context.Context) error {
	argv := h.asRoot("nix-store", "--realise", h.t.Derivation)
	if h.opts.DryRun {
		h.change(ctx, h.conn, h.sshLine(argv)+"   # build on the host (buildOnTarget)", remoteCmd{})
		return nil
	}
	h.event(KindProgress, "building on the host: "+h.t.Derivation)
	logw := &lineEvents{h: h, prefix: "build: "}
	out, err := h.conn.Run(ctx, remoteCmd{Argv: argv, Stderr: logw})
	logw.flush()
	if err != nil {
		return fmt.Errorf("building %s on the host: %w", h.t.Derivation, withStderr(err))
	}
	got := command.Lines(string(out))
	if len(got) == 0 || got[0] != h.t.Toplevel {
		return fmt.Errorf("building %s on the host gave %q, not %s", h.t.Derivation, got, h.t.Toplevel)
	}
	h.event(KindDone, "built on the host: "+h.t.Toplevel)
	return nil
}

// lineEvents turns written lines into progress events.
type lineEvents struct {
	h      *hostRun
	prefix string
	buf    []byte
}

func (l *lineEvents) Write(b []byte) (int, error) {
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if line := strings.TrimSpace(string(l.buf[:i])); line != "" {
			l.h.event(KindProgress, l.prefix+line)
		}
		l.buf = l.buf[i+1:]
	}
}

func (l *lineEvents) flush() {
	if line := strings.TrimSpace(string(l.buf)); line != "" {
		l.h.event(KindProgress, l.prefix+line)
	}
	l.buf = nil
}
