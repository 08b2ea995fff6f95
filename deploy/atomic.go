package deploy

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Fleet-atomic deploys (Options.Atomic, the CLI's --atomic): no host is confirmed until
// every selected host has copied, activated and passed its health checks; if any host
// fails, is skipped (its system did not build), cannot be reached or rolls back, every
// host that waits is rejected and rolls back, and the hosts not yet started are not
// started.
//
// A host that is ready gives its --parallel slot back (so that the others can go on)
// and waits for the fleet's decision. Its confirmation window is then a lease: the
// deployer renews it (`nixmesh-switch extend ID S`, S = the node's success timeout)
// every S/3 seconds at most 5 s apart, so a host waits as long as the slowest host of
// the fleet needs, and rolls back by itself at most S seconds after the deployer died.
// Hosts already on their new system (unchanged) count as ready: there is nothing to roll
// back on them. What this cannot cover: a host whose switch fails after its confirmation
// (making the system the boot default) rolls back alone, the others stay confirmed.

// atomicFleet is the decision shared by the hosts of an atomic deploy.
type atomicFleet struct {
	mu      sync.Mutex
	total   int
	ready   map[string]bool
	cause   string // the first failure: "host: reason"; "" while none
	decided chan struct{}
	once    sync.Once
}

func newAtomicFleet(total int) *atomicFleet {
	return &atomicFleet{total: total, ready: map[string]bool{}, decided: make(chan struct{})}
}

// markReady records a host as ready; the fleet is decided (all confirm) when the last one
// is.
func (f *atomicFleet) markReady(host string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cause != "" {
		return
	}
	f.ready[host] = true
	if len(f.ready) == f.total {
		f.once.Do(func() { close(f.decided) })
	}
}

// fail records a host's failure; the first one decides the fleet (all roll back).
func (f *atomicFleet) fail(host, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cause != "" || len(f.ready) == f.total { // decided already
		return
	}
	f.cause = host + ": " + reason
	f.once.Do(func() { close(f.decided) })
}

// failed returns the first failure, "" when there is none.
func (f *atomicFleet) failed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cause
}

// awaitFleet is a ready host's wait for the fleet's decision: it gives its parallel slot
// back and renews its confirmation lease until every host is ready (true) or one failed
// (false, with the cause).
func (h *hostRun) awaitFleet(ctx context.Context, id string, successTimeout time.Duration) (bool, string) {
	h.atomicFleet.markReady(h.t.Name)
	if h.releaseSlot != nil {
		h.releaseSlot()
	}
	lease := max(successTimeout, 10*time.Second)
	renew := min(lease/3, 5*time.Second)
	h.event(KindProgress, "ready; waiting for the other hosts of the fleet (--atomic)")
	for {
		select {
		case <-h.atomicFleet.decided:
			if cause := h.atomicFleet.failed(); cause != "" {
				return false, cause
			}
			return true, ""
		case <-ctx.Done():
			return false, "interrupted"
		default:
		}
		// Renewed at once (the window may be about to close), then every `renew`.
		if err := h.extend(ctx, id, lease); err != nil {
			h.event(KindProgress, "renewing the confirmation lease failed (the host rolls back when it runs out): "+err.Error())
		}
		select {
		case <-h.atomicFleet.decided:
		case <-ctx.Done():
		case <-time.After(renew):
		}
	}
}

// extend renews the host's confirmation lease on the shared connection (a new one when
// it is gone).
func (h *hostRun) extend(ctx context.Context, id string, lease time.Duration) error {
	pollTimeout := durationOr(h.opts.PollTimeout, 15*time.Second)
	pctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	if h.conn == nil {
		c, err := h.dialer.dialOnce(pctx)
		if err != nil {
			return err
		}
		h.conn = c
	}
	_, err := h.conn.Run(pctx, remoteCmd{Argv: h.switcher("extend", id, strconv.Itoa(int(lease/time.Second)))})
	if pe := processErr(err); err != nil && (pe == nil || pe.ExitCode < 0) {
		h.conn.Close()
		h.conn = nil
	}
	return withStderr(err)
}

// fleetReason is the reason a host rolls back with the fleet.
func fleetReason(cause string) string {
	return fmt.Sprintf("fleet-atomic deploy: another host failed (%s); every host rolls back", cause)
}
