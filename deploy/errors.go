package deploy

import (
	"errors"
	"fmt"

	"github.com/nixmesh/nixmesh/internal/hostkey"
)

// Errors a deploy classifies once, where they are detected. Match them with errors.Is.
var (
	// ErrHostKeyUnknown: the host presented a key that no known_hosts file and no key
	// declared in the plan knows, and new keys were not to be accepted. Final.
	ErrHostKeyUnknown = hostkey.ErrUnknown
	// ErrHostKeyMismatch: keys are known for the host, and the presented one is not among
	// them. Final; never accepted, not even with AcceptNewHostKeys.
	ErrHostKeyMismatch = hostkey.ErrMismatch
	// ErrAuthRefused: the host refused every credential offered. Final.
	ErrAuthRefused = errors.New("authentication refused")
	// ErrConnect: the TCP connection (or the jump through a ProxyJump host) failed.
	// Retryable when the connection was refused or timed out.
	ErrConnect = errors.New("cannot connect")
	// ErrSwitchBusy: the host's switcher refused to start because another switch runs.
	ErrSwitchBusy = errors.New("another switch is running on the host")
	// ErrRolledBack: the host activated the new system but went back to the previous one.
	ErrRolledBack = errors.New("rolled back")
	// ErrSwitchFailed: the switcher reported the switch as failed.
	ErrSwitchFailed = errors.New("switch failed")
	// ErrSwitchDeadline: the switch did not reach a final state within the overall
	// deadline (switchTimeout + successTimeout + margin); it may still finish on the host.
	ErrSwitchDeadline = errors.New("switch did not finish in time")
	// ErrCopyStalled: the closure copy moved no byte for Options.CopyStallTimeout.
	ErrCopyStalled = errors.New("copy stalled")
	// ErrHostUnreachable: during the switch the host answered no connection for
	// Options.UnreachableAfter (it crashed, or its network is gone).
	ErrHostUnreachable = errors.New("host unreachable during the switch")
	// ErrNotStarted: the host was not started because another host failed and the deploy
	// was not to keep going (Options.FailFast).
	ErrNotStarted = errors.New("not started after another host failed")
	// ErrInterrupted: the deploy was cancelled (Ctrl-C) before or while this host ran.
	ErrInterrupted = errors.New("interrupted")
)

// HostError is the error of one host in one phase. Run joins them with errors.Join.
type HostError struct {
	Host  string
	Phase Phase
	Err   error
}

func (e *HostError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Host, e.Phase, e.Err) }
func (e *HostError) Unwrap() error { return e.Err }

// retryable reports whether a connection error may go away by trying again
// (connection refused, timeouts). Host key and authentication errors are final.
func retryable(err error) bool {
	if errors.Is(err, ErrHostKeyUnknown) || errors.Is(err, ErrHostKeyMismatch) || errors.Is(err, ErrAuthRefused) {
		return false
	}
	var ce *connectError
	return errors.As(err, &ce) && ce.retry
}

// connectError carries the classification of a dial failure.
type connectError struct {
	addr  string
	retry bool
	err   error
}

func (e *connectError) Error() string        { return fmt.Sprintf("cannot connect to %s: %v", e.addr, e.err) }
func (e *connectError) Unwrap() error        { return e.err }
func (e *connectError) Is(target error) bool { return target == ErrConnect }
