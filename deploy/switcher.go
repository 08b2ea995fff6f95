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

// Exit codes of the switcher (nix-modules/scripts/switcher/bin/nixmesh-switch).
const (
	switchExitUsage   = 2 // usage error: from an older switcher, an unknown command
	switchExitBusy    = 3 // start: another switch runs on the host
	switchExitUnknown = 4 // no such switch
)

// switchStatus is one parsed `nixmesh-switch status ID`.
type switchStatus struct {
	State, Reason, System, Previous string
	Active, BootDefault             string // what runs now, and the last confirmed system
	Warnings                        string // of a switch that went on all the same ("; "-joined)
}

func parseStatus(out string) switchStatus {
	kv := parseKV(out)
	return switchStatus{State: kv["state"], Reason: kv["reason"], System: kv["system"], Previous: kv["previous"],
		Active: kv["active"], BootDefault: kv["boot-default"], Warnings: kv["warnings"]}
}

// switcher is the argv of the new system's switcher; start and confirm need root, status
// and log read world-readable state and do not.
func (h *hostRun) switcher(args ...string) []string {
	system := h.t.Toplevel
	if h.switcherOf != "" {
		system = h.switcherOf
	}
	argv := append([]string{path.Join(system, "bin", "nixmesh-switch")}, args...)
	switch args[0] {
	case "start", "confirm", "reject", "extend":
		return h.asRoot(argv...)
	}
	return argv
}

// switchSystem runs the switcher protocol: start; wait (on the shared connection) until
// the host waits for a confirmation; confirm over a new connection, which answers once the
// switch has ended; wait again only if that answer is not final. The overall deadline
// bounds it all. An interrupt stops the watching but never the switch: the switcher
// finishes or rolls back by itself.
func (h *hostRun) switchSystem(ctx context.Context) HostResult {
	h.begin(PhaseActivate)
	if err := ctx.Err(); err != nil {
		return h.interrupted(err)
	}
	successTimeout := durationOr(h.t.SuccessTimeout, 20*time.Second)
	switchTimeout := durationOr(h.t.SwitchTimeout, 60*time.Second)
	startArgs := []string{"start", h.t.Toplevel, "--action", string(h.opts.action()),
		"--success-timeout", secs(successTimeout), "--switch-timeout", secs(switchTimeout)}
	if h.t.KeepGenerations > 0 {
		startArgs = append(startArgs, "--keep", strconv.Itoa(h.t.KeepGenerations))
	}
	if h.t.IgnoreFailingSystemdUnits {
		startArgs = append(startArgs, "--ignore-failing-units")
	}
	if h.opts.InstallBootloader {
		startArgs = append(startArgs, "--install-bootloader")
	}
	if h.t.RebootIfUnreachable {
		startArgs = append(startArgs, "--reboot-if-unreachable", secs(durationOr(h.t.SuccessTimeout, 20*time.Second)))
	}
	if h.generation > 0 {
		startArgs = append(startArgs, "--generation", strconv.Itoa(h.generation))
	}
	startArgv := h.switcher(startArgs...)

	// The start is not interrupted half-way: once sent, we want the id back. It may first
	// return the host to its last confirmed system for a switch left without runner
	// (bounded by the switch timeout).
	startCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), durationOr(h.opts.PollTimeout, 15*time.Second)+switchTimeout)
	out, err := h.change(startCtx, h.conn, h.sshLine(startArgv), remoteCmd{Argv: startArgv})
	cancel()
	if errors.Is(err, errDryRun) {
		h.phase = PhaseConfirm
		for _, c := range h.t.HealthChecks {
			h.change(ctx, nil, "health check "+c.Name+" ("+c.Kind+"; "+checkDescription(c)+")", remoteCmd{})
		}
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
	started := time.Now()
	h.res.SwitchID = id
	h.res.StatusCommand = h.sshLine(h.switcher("status", id))
	h.res.LogCommand = h.sshLine(h.switcher("log", id))
	h.event(KindProgress, "switch "+id+" started")

	budget := switchTimeout + successTimeout + durationOr(h.opts.DeadlineMargin, 60*time.Second)
	// Until the host says more, the switch is known to have started, from the system the
	// check saw in the profile.
	w := &switchWatch{h: h, id: id, deadline: time.Now().Add(budget), last: switchStatus{State: "starting", BootDefault: h.profile}}
	confirmed := false
	gated := false  // the health checks (and the fleet's decision) came before the first confirm
	rejection := "" // why the deployer rejects the switch ("": it does not)
	pause := false  // whether to wait PollInterval before the next look at the host
	var lastErr error
	var unreachableSince time.Time // since when no connection to the host could be made
	var activatingSince, lastNote time.Time
	for {
		if pause {
			select {
			case <-ctx.Done():
				return h.leftMidSwitch(ctx.Err(), w.last)
			case <-time.After(durationOr(h.opts.PollInterval, time.Second)):
			}
		}
		if ctx.Err() != nil {
			return h.leftMidSwitch(ctx.Err(), w.last)
		}
		if time.Now().After(w.deadline) {
			err := fmt.Errorf("%w: last state %q", ErrSwitchDeadline, w.last.State)
			if lastErr != nil {
				err = fmt.Errorf("%w: last state %q; last poll: %w", ErrSwitchDeadline, w.last.State, lastErr)
			}
			h.res.MidSwitch = true
			return h.fail(ResultFailed, err, fmt.Sprintf("no final state within %s (last state %s); check: %s", budget, orUnknown(w.last.State), h.res.StatusCommand))
		}
		asked := time.Now()
		st, err := w.next(ctx)
		if ctx.Err() != nil {
			return h.leftMidSwitch(ctx.Err(), w.last)
		}
		if pe := processErr(err); pe != nil && pe.ExitCode == switchExitUnknown {
			return h.fail(ResultFailed, fmt.Errorf("the host does not know switch %s: %w", id, err), "")
		}
		if err != nil {
			lastErr = err
			h.event(KindProgress, "status poll failed: "+err.Error())
			if errors.Is(err, errNoConnection) {
				if unreachableSince.IsZero() {
					unreachableSince = asked // the failed attempt began then
				}
				if gone := time.Since(unreachableSince); gone >= durationOr(h.opts.UnreachableAfter, 15*time.Second) {
					return h.unreachable(id, w.last, gone, err)
				}
			}
			pause = true
			continue
		}
		unreachableSince = time.Time{}
		w.observe(st)
		// A long activation (NixOS restarting units) says it is still under way (counted
		// from the start: a wait that rests returns no earlier look at it).
		if st.State == "activating" {
			if activatingSince.IsZero() {
				activatingSince, lastNote = started, started
			}
			if time.Since(lastNote) >= 10*time.Second {
				lastNote = time.Now()
				note := fmt.Sprintf("still activating (%s; limit %s)", time.Since(activatingSince).Round(time.Second), switchTimeout)
				if st.Reason != "" {
					note += ": " + st.Reason // what the host waits for (NixOS's switch lock)
				}
				h.event(KindProgress, note)
			}
		}
		// Polling (a switcher without `wait`) pauses between polls; a wait returns only
		// once something changed, so the next one may follow at once.
		pause = w.polling
		if st.State == stateWaitingConfirmation && confirmed {
			pause = true // accepted, and the runner has not moved on yet
			continue
		}
		// Before the first confirmation: the health checks, then (--atomic) the fleet's
		// decision. Either failing rejects the switch: the host rolls back at once.
		// A switch the deployer decided to reject is never confirmed: when the reject
		// could not be sent, it is tried again while the host waits (or the host's window
		// closes and it rolls back by itself).
		if st.State == stateWaitingConfirmation && rejection != "" {
			answer, err := h.reject(ctx, id, rejection, switchTimeout)
			if ctx.Err() != nil {
				return h.leftMidSwitch(ctx.Err(), w.last)
			}
			if err != nil || answer.State == "" {
				pause = true
				continue
			}
			w.observe(answer)
			st = answer
		}
		if st.State == stateWaitingConfirmation && !gated {
			gated = true
			why := ""
			// The checks run inside the confirmation window, held open for as long as
			// they may take by a lease (a deployer that dies meanwhile lets it run out).
			if budget := checksBudget(h.t.HealthChecks); budget > 0 {
				if err := h.extend(ctx, id, successTimeout+budget); err != nil {
					h.event(KindProgress, "could not hold the confirmation window open for the health checks: "+err.Error())
				}
			}
			if failures := h.runChecks(ctx); len(failures) > 0 {
				why = failureReason(failures)
			} else if h.atomicFleet != nil {
				if ok, cause := h.awaitFleet(ctx, id, successTimeout); !ok {
					why = fleetReason(cause)
				}
			}
			if ctx.Err() != nil {
				return h.leftMidSwitch(ctx.Err(), w.last)
			}
			if why != "" {
				rejection = why
				answer, err := h.reject(ctx, id, why, switchTimeout)
				if err != nil {
					h.event(KindProgress, "rejecting the switch failed (the host rolls back by itself when its confirmation window closes): "+err.Error())
					pause = true
					continue
				}
				h.event(KindProgress, "switch rejected: the host rolls back")
				if answer.State == "" {
					continue
				}
				w.observe(answer)
				st = answer
			}
		}
		if st.State == stateWaitingConfirmation {
			answer, err := h.confirm(ctx, id, switchTimeout)
			if ctx.Err() != nil {
				return h.leftMidSwitch(ctx.Err(), w.last)
			}
			if err != nil && !isFinal(answer.State) {
				lastErr = err
				h.event(KindProgress, "confirmation failed (will retry while the host waits): "+err.Error())
				pause = true
				continue
			}
			if err == nil {
				confirmed = true
				h.event(KindProgress, "confirmation sent over a new connection")
			}
			// confirm answers with the status once the switch has ended (within its own
			// bound): then there is nothing left to wait for.
			if answer.State == "" {
				continue
			}
			w.observe(answer)
			st = answer
		}
		switch st.State {
		case stateSuccess:
			h.res.Result = ResultOK
			h.res.Reason = ""
			if st.Warnings != "" {
				h.res.Reason = "warning: " + st.Warnings
				h.event(KindProgress, "warning: "+st.Warnings)
			}
			h.event(KindDone, "switched to "+h.t.Toplevel)
			return h.res
		case stateRolledBack:
			h.logTail(ctx, id)
			reason := orUnknown(st.Reason)
			if err := h.reachableAfterRollback(ctx); err != nil {
				what := fmt.Sprintf("see its console; rebooted, it comes back on its boot default %s", orNone(st.BootDefault))
				if h.t.RebootIfUnreachable {
					what = fmt.Sprintf("it reboots into its boot default %s by itself unless a connection reaches it within %s (rebootIfUnreachable)", orNone(st.BootDefault), durationOr(h.t.SuccessTimeout, 20*time.Second))
				}
				reason = fmt.Sprintf("unreachable after rollback: %s; and no new connection reaches the host on its old system either (%v): %s", reason, err, what)
			}
			return h.fail(ResultRolledBack, fmt.Errorf("%w: %s", ErrRolledBack, reason),
				fmt.Sprintf("%s; log: %s", reason, h.res.LogCommand)) // the result already says "rolled back"
		case stateFailed:
			h.logTail(ctx, id)
			return h.fail(ResultFailed, fmt.Errorf("%w: %s", ErrSwitchFailed, orUnknown(st.Reason)),
				fmt.Sprintf("switch failed: %s; log: %s", orUnknown(st.Reason), h.res.LogCommand))
		}
	}
}

// reachableAfterRollback proves the host came back on its old system the way a
// confirmation would: a new SSH connection (a few attempts, PollTimeout each).
func (h *hostRun) reachableAfterRollback(ctx context.Context) error {
	pollTimeout := durationOr(h.opts.PollTimeout, 15*time.Second)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Second):
			}
		}
		dctx, cancel := context.WithTimeout(ctx, pollTimeout)
		var c *Conn
		c, err = h.dialer.dialOnce(dctx)
		cancel()
		if err == nil {
			c.Close()
			return nil
		}
		if !retryable(err) {
			return err
		}
	}
	return err
}

func isFinal(state string) bool {
	return state == stateSuccess || state == stateRolledBack || state == stateFailed
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func secs(d time.Duration) string { return strconv.Itoa(int((d + time.Second - 1) / time.Second)) }

// switchWatch follows one started switch on the shared connection.
type switchWatch struct {
	h        *hostRun
	id       string
	deadline time.Time
	last     switchStatus
	// plainWait is set once the switcher turned out to have a `wait` without --resting,
	// polling once it turned out to have no `wait` at all (older ones): the first then
	// returns at every state, the second is asked for its status, PollInterval apart.
	plainWait, polling bool
}

// next returns the switch's status once it rests (waits for a confirmation, or has
// ended), or when the wait's bound passed (the state then, say still activating):
// `nixmesh-switch wait --resting`, bounded by PollTimeout and the overall deadline. An
// older switcher answers --resting with a usage error: its plain `wait` returns at every
// change of state. One without `wait` at all is polled from then on.
func (w *switchWatch) next(ctx context.Context) (switchStatus, error) {
	pollTimeout := durationOr(w.h.opts.PollTimeout, 15*time.Second)
	if w.polling {
		return w.h.query(ctx, pollTimeout, "status", w.id)
	}
	// The switcher gives up waiting a little before the connection would be given up on.
	block := min(pollTimeout*2/3, time.Until(w.deadline))
	args := []string{"wait", w.id, "--timeout", strconv.Itoa(max(1, int(block/time.Second)))}
	if !w.plainWait {
		st, err := w.h.query(ctx, pollTimeout, append(args, "--resting")...)
		if pe := processErr(err); pe == nil || pe.ExitCode != switchExitUsage {
			return st, err
		}
		w.plainWait = true
	}
	st, err := w.h.query(ctx, pollTimeout, args...)
	if pe := processErr(err); pe != nil && pe.ExitCode == switchExitUsage {
		w.polling = true
		w.h.event(KindProgress, "the switcher has no wait command (an older version): polling its status")
		return w.h.query(ctx, pollTimeout, "status", w.id)
	}
	return st, err
}

// observe reports a status: the move to the confirm phase, and every new state.
func (w *switchWatch) observe(st switchStatus) {
	h := w.h
	if st.State != w.last.State {
		if st.State == stateWaitingConfirmation || st.State == "confirmed" {
			if h.phase != PhaseConfirm {
				h.event(KindDone, "activated")
				h.begin(PhaseConfirm)
			}
		}
		h.event(KindProgress, "state "+st.State)
	}
	w.last = st
}

// query runs a switcher command that prints the status (status or wait) on the shared
// connection, bounded by timeout. A failure that is not the command's own exit drops the
// shared connection; the next query opens a new one (activation may restart sshd).
func (h *hostRun) query(ctx context.Context, timeout time.Duration, args ...string) (switchStatus, error) {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if h.conn == nil {
		c, err := h.dialer.dialOnce(pctx)
		if err != nil {
			return switchStatus{}, fmt.Errorf("%w: %w", errNoConnection, err)
		}
		h.conn = c
	}
	out, err := h.conn.Run(pctx, remoteCmd{Argv: h.switcher(args...)})
	if err != nil {
		if pe := processErr(err); pe == nil || pe.ExitCode < 0 {
			h.conn.Close()
			h.conn = nil
		}
		return switchStatus{}, withStderr(err)
	}
	st := parseStatus(string(out))
	if st.State == "" {
		return st, fmt.Errorf("%s printed no state: %q", args[0], strings.TrimSpace(string(out)))
	}
	return st, nil
}

// confirm sends the confirmation over a connection opened now, after activation: that a
// new connection can be made is what the confirmation proves. The switcher answers with
// the status once the switch has ended (it waits up to the switch timeout and then some
// for that), also when it refuses the confirmation because the switch ended without
// success (exit 6); that status is returned with the error, if any.
func (h *hostRun) confirm(ctx context.Context, id string, switchTimeout time.Duration) (switchStatus, error) {
	pollTimeout := durationOr(h.opts.PollTimeout, 15*time.Second)
	dctx, cancel := context.WithTimeout(ctx, pollTimeout)
	c, err := h.dialer.dialOnce(dctx)
	cancel()
	if err != nil {
		return switchStatus{}, fmt.Errorf("new connection for the confirmation: %w", err)
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, switchTimeout+pollTimeout)
	defer cancel()
	argv := h.switcher("confirm", id)
	out, err := h.change(cctx, c, h.sshLine(argv), remoteCmd{Argv: argv})
	return parseStatus(string(out)), withStderr(err)
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

// errNoConnection marks a poll that could not connect to the host at all.
var errNoConnection = errors.New("no connection")

// unreachable ends the watch of a switch whose host answers no connection: it crashed or
// went dark. What it comes back on: its boot default (the last confirmed system) after a
// restart; if it is up but cut off, its switcher rolls back by itself.
func (h *hostRun) unreachable(id string, last switchStatus, gone time.Duration, err error) HostResult {
	h.res.MidSwitch = true
	back := last.BootDefault
	if back == "" {
		back = last.Previous
	}
	if back == "" {
		back = h.profile
	}
	comesBack := "after a restart it comes back on its last confirmed system " + orNone(back)
	if last.State == "confirmed" {
		comesBack = "it was confirmed: after a restart it comes back on the new system if the switch had made it the boot default, else on " + orNone(back)
	}
	cause := oneLine(strings.TrimPrefix(err.Error(), errNoConnection.Error()+": "))
	return h.fail(ResultFailed, fmt.Errorf("%w: switch %s (last state %s): %w", ErrHostUnreachable, id, orUnknown(last.State), err),
		fmt.Sprintf("unreachable for %s during switch %s (last state %s): %s, and if it is up but cut off it rolls back by itself (%s)",
			gone.Round(time.Second), id, orUnknown(last.State), comesBack, strings.ReplaceAll(cause, "; ", ", ")))
}

// leftMidSwitch ends a host whose switch was started but not watched to its end.
func (h *hostRun) leftMidSwitch(cause error, last switchStatus) HostResult {
	h.res.MidSwitch = true
	return h.fail(ResultCancelled, errors.Join(ErrInterrupted, cause),
		fmt.Sprintf("interrupted during switch %s (last state %s); the host finishes it, or rolls back by itself if it was not confirmed; check: %s",
			h.res.SwitchID, orUnknown(last.State), h.res.StatusCommand))
}
