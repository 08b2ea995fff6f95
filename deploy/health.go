package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"mvdan.cc/sh/v3/syntax"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/command"
)

// Health checks gate the confirmation (modules/health.nix). Once the host waits for its
// confirmation, every check of the node runs at once: commands on the host (as root,
// over a connection of their own), TCP and HTTP checks from this machine. Each attempt
// is bounded by its timeout; a failing check is tried again after its interval, up to
// its retries. All pass: the host is confirmed. One fails: the host is told to roll back
// at once (`nixmesh-switch reject`), with the check's name and the end of its output.
//
// Before the checks run, the deployer extends the host's confirmation window to its
// success timeout plus checksBudget (`nixmesh-switch extend`, a lease): the checks run
// inside that window, so a deployer that dies while they run still leaves a host that
// rolls back by itself, and one that dies before them costs no more than the success
// timeout.

// ErrHealthCheck is wrapped by the failure of a node's health check.
var ErrHealthCheck = errors.New("health check failed")

// checkDuration is how long one check may take at most: every attempt timing out, with
// the intervals between them.
func checkDuration(c eval.HealthCheck) time.Duration {
	retries := max(c.Retries, 1)
	return time.Duration(retries)*seconds(c.Timeout) + time.Duration(retries-1)*seconds(c.Interval)
}

// checksBudget is how much longer the host must wait for its confirmation because of
// the checks: the longest check (they run at once), plus a margin for connecting.
func checksBudget(checks []eval.HealthCheck) time.Duration {
	var longest time.Duration
	for _, c := range checks {
		longest = max(longest, checkDuration(c))
	}
	if longest == 0 {
		return 0
	}
	return longest + 10*time.Second
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// checkFailure is one failed check.
type checkFailure struct {
	name, output string
}

// runChecks runs the node's checks and returns the failures (nil: all passed). Each
// outcome is reported as an event.
func (h *hostRun) runChecks(ctx context.Context) []checkFailure {
	checks := h.t.HealthChecks
	if len(checks) == 0 {
		return nil
	}
	h.event(KindProgress, fmt.Sprintf("running %d health check(s)", len(checks)))
	var (
		mu       sync.Mutex
		conn     *Conn // one new connection for the command checks, opened on first use
		connErr  error
		connOnce sync.Once
		failures []checkFailure
		wg       sync.WaitGroup
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	// The activation may have restarted sshd: a refused or timed-out connection is tried
	// again for up to the success timeout; a refused login or host key is final.
	hostConn := func() (*Conn, error) {
		connOnce.Do(func() {
			deadline := time.Now().Add(durationOr(h.t.SuccessTimeout, 20*time.Second))
			for {
				dctx, cancel := context.WithTimeout(ctx, durationOr(h.opts.PollTimeout, 15*time.Second))
				conn, connErr = h.dialer.Dial(dctx)
				cancel()
				if connErr == nil || !retryable(connErr) || ctx.Err() != nil || time.Now().After(deadline) {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
			}
		})
		return conn, connErr
	}
	// A new connection for the commands comes first: without one, the new system
	// refuses the deployer (or cannot be reached), which no check needs to tell.
	for _, c := range checks {
		if c.Kind != "command" {
			continue
		}
		if _, err := hostConn(); err != nil {
			h.event(KindProgress, "no new SSH connection reaches the host after the activation: "+err.Error())
			return []checkFailure{{output: "no new SSH connection reaches the host after the activation (the new system refuses the deployer, or cannot be reached; on NixOS, `nixmesh check` warns of settings that shut the deployer out): " + err.Error()}}
		}
		break
	}
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.runCheck(ctx, c, hostConn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				h.event(KindProgress, fmt.Sprintf("health check %s failed: %s", c.Name, lastLines(out, err)))
				failures = append(failures, checkFailure{name: c.Name, output: lastLines(out, err)})
				return
			}
			h.event(KindProgress, fmt.Sprintf("health check %s passed%s", c.Name, suffix(lastLines(out, nil))))
		}()
	}
	wg.Wait()
	return failures
}

// runCheck tries one check up to its retries; it returns the last attempt's output.
func (h *hostRun) runCheck(ctx context.Context, c eval.HealthCheck, hostConn func() (*Conn, error)) (string, error) {
	retries := max(c.Retries, 1)
	var out string
	var err error
	for attempt := 1; attempt <= retries; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(seconds(c.Interval)):
			}
		}
		actx, cancel := context.WithTimeout(ctx, seconds(c.Timeout))
		out, err = h.checkOnce(actx, c, hostConn)
		cancel()
		if err == nil || ctx.Err() != nil {
			return out, err
		}
	}
	if retries > 1 {
		err = fmt.Errorf("%w (%d attempts)", err, retries)
	}
	return out, err
}

// checkOnce is one attempt.
func (h *hostRun) checkOnce(ctx context.Context, c eval.HealthCheck, hostConn func() (*Conn, error)) (string, error) {
	switch c.Kind {
	case "command":
		conn, err := hostConn()
		if err != nil {
			return "", fmt.Errorf("no connection to run it: %w", err)
		}
		var buf strings.Builder
		_, err = conn.Run(ctx, remoteCmd{Argv: h.asRoot("sh", "-c", c.Command), Stdout: &buf, Stderr: &buf})
		if ctx.Err() != nil {
			return buf.String(), fmt.Errorf("did not finish within %s", seconds(c.Timeout))
		}
		if pe := processErr(err); pe != nil && pe.ExitCode >= 0 {
			return buf.String(), fmt.Errorf("exit code %d", pe.ExitCode)
		}
		return buf.String(), err
	case "tcp":
		host := h.dialer.endpoint.Host
		if c.Host != nil && *c.Host != "" {
			host = *c.Host
		}
		addr := net.JoinHostPort(unbracket(host), strconv.Itoa(c.Port))
		conn, err := directDialer().DialContext(ctx, "tcp", addr)
		if err != nil {
			return "", fmt.Errorf("connecting to %s: %w", addr, err)
		}
		conn.Close()
		return "connected to " + addr, nil
	case "http":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
		if err != nil {
			return "", err
		}
		resp, err := guardedHTTP.Do(req)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		want := c.Status
		if want == 0 {
			want = http.StatusOK
		}
		if resp.StatusCode != want {
			return resp.Status, fmt.Errorf("GET %s: status %d, want %d", c.URL, resp.StatusCode, want)
		}
		return "GET " + c.URL + ": " + resp.Status, nil
	}
	return "", fmt.Errorf("unknown kind of check %q", c.Kind)
}

// lastLines is the end of a check's output (three lines at most), and its error.
func lastLines(out string, err error) string {
	lines := command.Lines(out)
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	s := strings.ReplaceAll(strings.Join(lines, " / "), "\t", " ")
	switch {
	case err == nil:
		return s
	case s == "":
		return err.Error()
	}
	return err.Error() + ": " + s
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// reject tells the host to roll back at once; it returns the status the switcher prints
// once the rollback has ended.
// A rejection needs no new connection (unlike a confirmation): the shared one is used
// while it lives, which matters when the new system refuses new logins.
func (h *hostRun) reject(ctx context.Context, id, reason string, switchTimeout time.Duration) (switchStatus, error) {
	pollTimeout := durationOr(h.opts.PollTimeout, 15*time.Second)
	c := h.conn
	if c == nil {
		dctx, cancel := context.WithTimeout(ctx, pollTimeout)
		var err error
		c, err = h.dialer.Dial(dctx)
		cancel()
		if err != nil {
			return switchStatus{}, fmt.Errorf("connecting to reject the switch: %w", err)
		}
		h.conn = c
	}
	rctx, cancel := context.WithTimeout(ctx, 2*switchTimeout+pollTimeout)
	defer cancel()
	out, err := c.Run(rctx, remoteCmd{Argv: h.switcher("reject", id, reason)})
	if pe := processErr(err); err != nil && (pe == nil || pe.ExitCode < 0) {
		h.conn.Close()
		h.conn = nil
	}
	return parseStatus(string(out)), withStderr(err)
}

// failureReason says which checks failed, for the switch's reason and the table.
func failureReason(failures []checkFailure) string {
	parts := make([]string, len(failures))
	for i, f := range failures {
		if f.name == "" {
			parts[i] = f.output
			continue
		}
		parts[i] = fmt.Sprintf("health check %s failed: %s", f.name, f.output)
	}
	return strings.Join(parts, "; ")
}

// checkDescription is a short description of a check, for dry runs.
func checkDescription(c eval.HealthCheck) string {
	switch c.Kind {
	case "command":
		s := c.Command
		if len(s) > 60 {
			s = s[:60] + "..."
		}
		if c.Feature != nil {
			return "the " + *c.Feature + " feature's check"
		}
		return "on the host: " + strings.ReplaceAll(s, "\n", " ")
	case "tcp":
		host := "the node's address"
		if c.Host != nil {
			host = *c.Host
		}
		return fmt.Sprintf("TCP %s port %d", host, c.Port)
	case "http":
		return fmt.Sprintf("GET %s -> %d", c.URL, c.Status)
	}
	return c.Kind
}

// unbracket removes the brackets of an IPv6 address written "[fd00::1]" (a health
// check's host may be written so), which net.JoinHostPort would add a second time.
func unbracket(host string) string {
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	return host
}

// ShellSyntaxError reports a script the host's shell cannot run (a command check, an
// activation snippet): it does not parse as bash, a superset of the host's sh (bash as on
// NixOS, or dash), so it would fail on the host and every deploy of the node would roll
// back. nil when it parses (which says nothing about the commands it names).
func ShellSyntaxError(script string) error {
	_, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	return err
}
