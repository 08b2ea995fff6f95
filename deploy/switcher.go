package deploy

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
)

// Switcher states (docs/internals.md, "The remote switcher protocol").
const (
	stateWaitingConfirmation = "waiting-confirmation"
	stateSuccess             = "success"
	stateRolledBack          = "rolled-back"
	stateFailed              = "failed"
)

// Exit codes of the switcher (scripts/switch.sh).
const (
	switchExitBusy    = 3 // start: another switch runs on the host
	switchExitUnknown = 4 // no such switch
)

// switchStatus is one parsed `nixmesh-switch status ID`.
type switchStatus struct {
	State, Reason, System, Previous string
}

func parseStatus(out string) switchStatus {
	kv := parseKV(out)
	return switchStatus{State: kv["state"], Reason: kv["reason"], System: kv["system"], Previous: kv["previous"]}
}

// switcher is the argv of the new system's switcher; start and confirm need root, status
// and log read world-readable state and do not.
func (h *hostRun) switcher(args ...string) []string {
	argv := append([]string{path.Join(h.t.Toplevel, "bin", "nixmesh-switch")}, args...)
	if args[0] == "start" || args[0] == "confirm" {
		return h.asRoot(argv...)
	}
	return argv
}

// switchSystem runs the switcher protocol: start, poll status, confirm over a new
// connection once the host waits for it, and poll until the switch ends or the overall
// deadline passes. An interrupt stops the polling but never the switch: the switcher
// finishes or rolls back by itself.
func (h *hostRun) switchSystem(ctx context.Context) HostResult {
	h.begin(PhaseActivate)
	if err := ctx.Err(); err != nil {
		return h.interrupted(err)
	}
	successTimeout := durationOr(h.t.SuccessTimeout, 20*time.Second)
	switchTimeout := durationOr(h.t.SwitchTimeout, 60*time.Second)
	startArgv := h.switcher("start", h.t.Toplevel, "--action", string(h.opts.action()),
		"--success-timeout", secs(successTimeout), "--switch-timeout", secs(switchTimeout))

	// The start is not interrupted half-way: once sent, we want the id back.
	startCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), durationOr(h.opts.PollTimeout, 15*time.Second))
	out, err := h.change(startCtx, h.conn, h.sshLine(startArgv), remoteCmd{Argv: startArgv})
	cancel()
	if errors.Is(err, errDryRun) {
		h.phase = PhaseConfirm
		h.change(ctx, nil, h.sshLine(h.switcher("confirm", "ID"))+"   # over a new connection, once the host waits for it", remoteCmd{})
		h.res.Result = ResultWouldApply
		h.res.Reason = fmt.Sprintf("would %s %s (current %s)", h.opts.action(), h.t.Toplevel, orNone(h.res.CurrentSystem))
		return h.res
	}
	if err != nil {
		if pe := processErr(err); pe != nil && pe.ExitCode == switchExitBusy {
			return h.fail(ResultFailed, fmt.Errorf("%w: %s", ErrSwitchBusy, strings.TrimSpace(pe.Stderr)), "")
		}
		return h.fail(ResultFailed, fmt.Errorf("starting the switcher: %w", withStderr(err)), "")
	}
	id := strings.TrimSpace(string(out))
	if id == "" || strings.ContainsAny(id, " \n/") {
		return h.fail(ResultFailed, fmt.Errorf("the switcher printed no usable switch id (%q)", id), "")
	}
	h.res.SwitchID = id
	h.res.StatusCommand = h.sshLine(h.switcher("status", id))
	h.res.LogCommand = h.sshLine(h.switcher("log", id))
	h.event(KindProgress, "switch "+id+" started")

	budget := switchTimeout + successTimeout + durationOr(h.opts.DeadlineMargin, 60*time.Second)
	deadline := time.Now().Add(budget)
	confirmed := false
	last := switchStatus{}
	var lastErr error
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return h.leftMidSwitch(ctx.Err(), last)
			case <-time.After(durationOr(h.opts.PollInterval, time.Second)):
			}
		}
		if ctx.Err() != nil {
			return h.leftMidSwitch(ctx.Err(), last)
		}
		if time.Now().After(deadline) {
			err := fmt.Errorf("%w: last state %q", ErrSwitchDeadline, last.State)
			if lastErr != nil {
				err = fmt.Errorf("%w: last state %q; last poll: %w", ErrSwitchDeadline, last.State, lastErr)
			}
			h.res.MidSwitch = true
			return h.fail(ResultFailed, err, fmt.Sprintf("no final state within %s (last state %s); check: %s", budget, orUnknown(last.State), h.res.StatusCommand))
		}
		st, err := h.poll(ctx, id)
		if pe := processErr(err); pe != nil && pe.ExitCode == switchExitUnknown {
			return h.fail(ResultFailed, fmt.Errorf("the host does not know switch %s: %w", id, err), "")
		}
		if err != nil {
			lastErr = err
			h.event(KindProgress, "status poll failed: "+err.Error())
			continue
		}
		if st.State != last.State {
			if st.State == stateWaitingConfirmation || st.State == "confirmed" {
				if h.phase != PhaseConfirm {
					h.event(KindDone, "activated")
					h.begin(PhaseConfirm)
				}
			}
			h.event(KindProgress, "state "+st.State)
		}
		last = st
		switch st.State {
		case stateWaitingConfirmation:
			if !confirmed {
				if err := h.confirm(ctx, id); err != nil {
					lastErr = err
					h.event(KindProgress, "confirmation failed (will retry while the host waits): "+err.Error())
				} else {
					confirmed = true
					h.event(KindProgress, "confirmation sent over a new connection")
				}
			}
		case stateSuccess:
			h.res.Result = ResultOK
			h.res.Reason = ""
			h.event(KindDone, "switched to "+h.t.Toplevel)
			return h.res
		case stateRolledBack:
			h.logTail(ctx, id)
			return h.fail(ResultRolledBack, fmt.Errorf("%w: %s", ErrRolledBack, orUnknown(st.Reason)),
				fmt.Sprintf("rolled back: %s; log: %s", orUnknown(st.Reason), h.res.LogCommand))
		case stateFailed:
			h.logTail(ctx, id)
			return h.fail(ResultFailed, fmt.Errorf("%w: %s", ErrSwitchFailed, orUnknown(st.Reason)),
				fmt.Sprintf("switch failed: %s; log: %s", orUnknown(st.Reason), h.res.LogCommand))
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func secs(d time.Duration) string { return strconv.Itoa(int((d + time.Second - 1) / time.Second)) }

// poll reads the switch status once, bounded by PollTimeout. A failed poll drops the
// shared connection; the next poll opens a new one (activation may restart sshd).
func (h *hostRun) poll(ctx context.Context, id string) (switchStatus, error) {
	pctx, cancel := context.WithTimeout(ctx, durationOr(h.opts.PollTimeout, 15*time.Second))
	defer cancel()
	if h.conn == nil {
		c, err := h.dialer.dialOnce(pctx)
		if err != nil {
			return switchStatus{}, err
		}
		h.conn = c
	}
	out, err := h.conn.Run(pctx, remoteCmd{Argv: h.switcher("status", id)})
	if err != nil {
		if pe := processErr(err); pe == nil || pe.ExitCode < 0 {
			h.conn.Close()
			h.conn = nil
		}
		return switchStatus{}, withStderr(err)
	}
	st := parseStatus(string(out))
	if st.State == "" {
		return st, fmt.Errorf("status printed no state: %q", strings.TrimSpace(string(out)))
	}
	return st, nil
}

// confirm sends the confirmation over a connection opened now, after activation: that a
// new connection can be made is what the confirmation proves.
func (h *hostRun) confirm(ctx context.Context, id string) error {
	cctx, cancel := context.WithTimeout(ctx, durationOr(h.opts.PollTimeout, 15*time.Second))
	defer cancel()
	c, err := h.dialer.dialOnce(cctx)
	if err != nil {
		return fmt.Errorf("new connection for the confirmation: %w", err)
	}
	defer c.Close()
	argv := h.switcher("confirm", id)
	_, err = h.change(cctx, c, h.sshLine(argv), remoteCmd{Argv: argv})
	return withStderr(err)
}

// logTail emits the last lines of the switch log, best effort.
func (h *hostRun) logTail(ctx context.Context, id string) {
	if h.conn == nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, durationOr(h.opts.PollTimeout, 15*time.Second))
	defer cancel()
	out, err := h.conn.Run(lctx, remoteCmd{Argv: h.switcher("log", id)})
	if err != nil {
		return
	}
	lines := command.Lines(string(out))
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	for _, l := range lines {
		h.event(KindProgress, "log: "+l)
	}
}

// leftMidSwitch ends a host whose switch was started but not watched to its end.
func (h *hostRun) leftMidSwitch(cause error, last switchStatus) HostResult {
	h.res.MidSwitch = true
	return h.fail(ResultCancelled, errors.Join(ErrInterrupted, cause),
		fmt.Sprintf("interrupted during switch %s (last state %s); the host finishes it, or rolls back by itself if it was not confirmed; check: %s",
			h.res.SwitchID, orUnknown(last.State), h.res.StatusCommand))
}
