package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/nixmesh/nixmesh/internal/natural"
)

// Report is the outcome of a deploy, one row per target in the order given.
type Report struct {
	Hosts []HostResult `json:"hosts"`
	// Interrupted is set when the context was cancelled (Ctrl-C) during the deploy.
	Interrupted bool `json:"interrupted"`
	DryRun      bool `json:"dryRun"`
}

// Run deploys every target: at most Options.Parallel hosts at a time, each through
// connect → check → copy → activate → confirm. A host already on its new system stops
// after the check. One host's failure does not stop the others unless FailFast is set,
// which then only cancels hosts not yet started. Cancelling ctx cancels the hosts not yet
// started and stops watching the started ones; their switchers finish or roll back by
// themselves, and the report names them (HostResult.MidSwitch).
//
// The error joins the *HostError of every host that failed, rolled back or was
// cancelled; nil when all hosts are ok, unchanged or skipped.
func Run(ctx context.Context, opts Options, targets []Target) (Report, error) {
	var mu sync.Mutex
	phases := map[string]Phase{} // each host's phase, for hosts still busy after Ctrl-C
	closed := false              // the report was returned: late events and results are dropped
	emit := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return
		}
		if e.Phase != "" {
			phases[e.Host] = e.Phase
		}
		if opts.Events != nil {
			opts.Events(e)
		}
	}
	report := Report{Hosts: make([]HostResult, len(targets)), DryRun: opts.DryRun || opts.DryActivate}
	runStart := time.Now()
	finish := func(i int, r HostResult, started time.Time) {
		r.Duration = time.Since(started)
		mu.Lock()
		if closed {
			mu.Unlock()
			return
		}
		report.Hosts[i] = r
		mu.Unlock()
		emit(Event{Time: time.Now(), Host: r.Host, Phase: PhaseDone, Kind: KindResult, Message: r.Reason, Result: r.Result, Duration: r.Duration})
	}

	// startCtx gates starting hosts; it ends with ctx, or at the first failure when FailFast.
	startCtx, stopStarting := context.WithCancel(ctx)
	defer stopStarting()
	sem := make(chan struct{}, opts.parallel())
	var fl *atomicFleet
	if opts.Atomic && !opts.DryRun && !opts.DryActivate {
		fl = newAtomicFleet(len(targets))
		// The first failure stops the hosts not yet started.
		go func() {
			select {
			case <-fl.decided:
				if fl.failed() != "" {
					stopStarting()
				}
			case <-startCtx.Done():
			}
		}()
	}
	var wg sync.WaitGroup
	for i, t := range targets {
		now := time.Now()
		if t.SkipReason != "" {
			finish(i, HostResult{Host: t.Name, Result: ResultSkipped, Reason: t.SkipReason, NewSystem: t.Toplevel}, now)
			if fl != nil {
				fl.fail(t.Name, "skipped: "+t.SkipReason)
			}
			continue
		}
		acquired := false
		select {
		case sem <- struct{}{}:
			acquired = true
		case <-startCtx.Done():
		}
		if err := startCtx.Err(); err != nil {
			if acquired { // both were ready and the slot won: give it back
				<-sem
			}
			var cause error = ErrNotStarted
			reason := "not started: another host failed (--keep-going=false)"
			if fl != nil && fl.failed() != "" {
				reason = "not started: " + fleetReason(fl.failed())
			}
			if ctx.Err() != nil {
				cause = errors.Join(ErrInterrupted, ctx.Err())
				reason = "not started: interrupted"
			}
			finish(i, HostResult{Host: t.Name, Result: ResultCancelled, Reason: reason, NewSystem: t.Toplevel,
				Err: &HostError{Host: t.Name, Phase: PhaseConnect, Err: cause}}, now)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var release sync.Once
			releaseSlot := func() { release.Do(func() { <-sem }) }
			defer releaseSlot()
			h := &hostRun{opts: opts, t: t, emit: emit, atomicFleet: fl, releaseSlot: releaseSlot}
			r := h.run(ctx)
			if opts.FailFast && (r.Result == ResultFailed || r.Result == ResultRolledBack) {
				stopStarting()
			}
			if fl != nil {
				switch r.Result {
				case ResultOK, ResultUnchanged:
					fl.markReady(t.Name)
				default:
					reason, _, _ := strings.Cut(r.Reason, "; log: ")
					fl.fail(t.Name, string(r.Result)+": "+reason)
				}
			}
			finish(i, r, now)
		}()
	}
	// Wait for every host; after Ctrl-C only InterruptGrace more. A host still busy then
	// (its connection hung on a dark host, say) is reported as interrupted where it was.
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-ctx.Done():
		select {
		case <-allDone:
		case <-time.After(durationOr(opts.InterruptGrace, 2*time.Second)):
		}
	}
	mu.Lock()
	closed = true
	for i, t := range targets {
		if report.Hosts[i].Host != "" {
			continue
		}
		phase := phases[t.Name]
		reason := fmt.Sprintf("interrupted during %s; it did not stop within %s", orUnknown(string(phase)), durationOr(opts.InterruptGrace, 2*time.Second))
		if phase == PhaseActivate || phase == PhaseConfirm {
			reason += "; mid-switch: the host finishes the switch, or rolls back by itself if it was not confirmed"
		} else {
			reason += "; nothing was activated on the host"
		}
		report.Hosts[i] = HostResult{Host: t.Name, Result: ResultCancelled, Reason: reason, NewSystem: t.Toplevel,
			MidSwitch: phase == PhaseActivate || phase == PhaseConfirm, Duration: time.Since(runStart),
			Err: &HostError{Host: t.Name, Phase: phase, Err: errors.Join(ErrInterrupted, ctx.Err())}}
	}
	report.Interrupted = ctx.Err() != nil
	out := report
	out.Hosts = append([]HostResult(nil), report.Hosts...)
	mu.Unlock()
	return out, out.Err()
}

// Err joins the errors of the hosts that failed, rolled back or were cancelled.
func (r Report) Err() error {
	var errs []error
	for _, h := range r.Hosts {
		if h.Err != nil {
			errs = append(errs, h.Err)
		}
	}
	return errors.Join(errs...)
}

// Count returns how many hosts ended with result.
func (r Report) Count(result Result) int {
	n := 0
	for _, h := range r.Hosts {
		if h.Result == result {
			n++
		}
	}
	return n
}

// ExitCode maps the report to nixmesh's exit codes (docs/internals.md): 130 when
// interrupted (as the CLI reports any interrupted run), else 5 when a host failed (or was
// not started after a failure), 6 when a host rolled back, 0 otherwise. Skipped hosts
// (not built) are the caller's to account for.
func (r Report) ExitCode() int {
	switch {
	case r.Interrupted:
		return 130
	case r.Count(ResultFailed) > 0 || r.Count(ResultCancelled) > 0:
		return 5
	case r.Count(ResultRolledBack) > 0:
		return 6
	}
	return 0
}

// Deployed reports whether host is in the report as ok or unchanged: it runs (or, with
// --action boot, will boot) the system it was given. A dry run deploys nothing.
func (r Report) Deployed(host string) bool {
	if r.DryRun {
		return false
	}
	for _, h := range r.Hosts {
		if h.Host == host {
			return h.Result == ResultOK || h.Result == ResultUnchanged
		}
	}
	return false
}

// MidSwitch lists the hosts whose switch was started but not watched to its end.
func (r Report) MidSwitch() []HostResult {
	var out []HostResult
	for _, h := range r.Hosts {
		if h.MidSwitch {
			out = append(out, h)
		}
	}
	return out
}

// WriteTable prints the final table (host, result, duration, reason), the hosts left
// mid-switch with how to check them, and, for a dry run, the commands per host.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tRESULT\tDURATION\tREASON")
	for _, h := range r.Hosts {
		reason := h.Reason
		if i := strings.Index(reason, "; "); i >= 0 && h.Result != ResultOK && (h.MidSwitch || h.LogCommand != "") {
			reason = reason[:i] // the commands are printed below
		}
		if h.Result == ResultOK && h.CopiedPaths > 0 {
			copied := fmt.Sprintf("copied %d paths (%s)", h.CopiedPaths, HumanBytes(h.CopiedBytes))
			if reason != "" {
				copied += "; " + reason // a warning of the switch
			}
			reason = copied
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Host, h.Result, h.Duration.Round(100*time.Millisecond), reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, h := range r.Hosts {
		if (h.Result == ResultRolledBack || h.Result == ResultFailed) && h.LogCommand != "" && !h.MidSwitch {
			fmt.Fprintf(w, "\n%s: read the switch log with\n  %s\n", h.Host, h.LogCommand)
		}
	}
	if mid := r.MidSwitch(); len(mid) > 0 {
		names := make([]string, len(mid))
		for i, h := range mid {
			names[i] = h.Host
		}
		natural.Sort(names)
		fmt.Fprintf(w, "\nLeft mid-switch (each host finishes its switch, or rolls back by itself if it was not confirmed): %s\n", strings.Join(names, ", "))
		for _, h := range mid {
			fmt.Fprintf(w, "  %s: %s\n  %s  log: %s\n", h.Host, h.StatusCommand, strings.Repeat(" ", len(h.Host)), h.LogCommand)
		}
	}
	if r.DryRun {
		for _, h := range r.Hosts {
			if len(h.Commands) == 0 {
				continue
			}
			fmt.Fprintf(w, "\n%s: %s -> %s, %d paths to copy (%s)\n", h.Host, orNone(h.CurrentSystem), h.NewSystem, h.CopiedPaths, HumanBytes(h.CopiedBytes))
			if d := h.Diff; d != nil {
				fmt.Fprintf(w, "  closure: %d paths added, %d removed\n", d.Added, d.Removed)
				for _, c := range d.Changes {
					fmt.Fprintf(w, "    %s\n", c)
				}
			}
			fmt.Fprintf(w, "  would run:\n")
			for _, c := range h.Commands {
				fmt.Fprintf(w, "    %s\n", c)
			}
		}
	}
	return nil
}
