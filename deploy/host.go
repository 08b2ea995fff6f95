package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/shell"
	"github.com/nixmesh/nixmesh/secrets"
)

// hostRun walks one host through its phases.
type hostRun struct {
	opts   Options
	t      Target
	emit   func(Event)
	dialer *dialer
	conn   *Conn // the shared connection: check, copy, start, status
	res    HostResult
	phase  Phase
	// profile is the host's system profile as the check read it: its last confirmed
	// system, which it comes back on after a restart during the switch.
	profile string
	// atomicFleet is the shared decision of an atomic deploy (nil otherwise); releaseSlot
	// gives the host's --parallel slot back while it waits for it.
	atomicFleet *atomicFleet
	releaseSlot func()
	// A rollback (rollback.go): the profile generation switched to, and the system whose
	// switcher drives the switch ("": the new system's own).
	generation int
	switcherOf string
}

func (h *hostRun) event(kind Kind, msg string) {
	h.emit(Event{Time: time.Now(), Host: h.t.Name, Phase: h.phase, Kind: kind, Message: msg})
}

func (h *hostRun) begin(p Phase) {
	h.phase = p
	h.event(KindStart, p.Title())
}

// asRoot prefixes argv with the privilege escalation command when the SSH user is not root.
func (h *hostRun) asRoot(argv ...string) []string {
	if h.dialer.endpoint.User == "root" || len(h.t.PrivilegeEscalationCommand) == 0 {
		return argv
	}
	return append(append([]string(nil), h.t.PrivilegeEscalationCommand...), argv...)
}

// sshLine is how the user would run argv on the host by hand: with the node's
// sshOptions, port and jumps, so that it works as printed.
func (h *hostRun) sshLine(argv []string) string {
	opts := ""
	if len(h.t.SSHOptions) > 0 {
		opts = shell.Quote(h.t.SSHOptions) + " "
	}
	return "ssh " + opts + h.dialer.endpoint.Destination() + " " + shell.Quote(argv)
}

// errDryRun is returned by change in a dry run: the command was recorded, not run.
var errDryRun = errors.New("dry run")

// change is the one way a command that changes the host is run. In a dry run it records
// and reports the command (display, as the user would type it) and returns errDryRun.
func (h *hostRun) change(ctx context.Context, conn *Conn, display string, rc remoteCmd) ([]byte, error) {
	if h.opts.DryRun {
		h.res.Commands = append(h.res.Commands, display)
		h.event(KindProgress, "would run: "+display)
		return nil, errDryRun
	}
	return conn.Run(ctx, rc)
}

// fail ends the host with a HostError in the current phase.
func (h *hostRun) fail(result Result, err error, reason string) HostResult {
	h.res.Result = result
	h.res.Err = &HostError{Host: h.t.Name, Phase: h.phase, Err: err}
	if reason == "" {
		reason = fmt.Sprintf("%s: %v", h.phase, err)
	}
	h.res.Reason = reason
	h.event(KindError, reason)
	return h.res
}

func (h *hostRun) run(ctx context.Context) HostResult {
	h.res = HostResult{Host: h.t.Name, NewSystem: h.t.Toplevel}
	defer func() {
		if h.conn != nil {
			h.conn.Close()
		}
	}()

	h.begin(PhaseConnect)
	if err := ctx.Err(); err != nil {
		return h.interrupted(err)
	}
	d, ignored, err := newDialer(h.opts.SSH, h.t)
	if err != nil {
		return h.fail(ResultFailed, err, "")
	}
	h.dialer = d
	if len(ignored) > 0 {
		h.event(KindProgress, "ignoring unsupported sshOptions: "+strings.Join(ignored, " "))
	}
	if h.conn, err = d.Dial(ctx); err != nil {
		if ctx.Err() != nil {
			return h.interrupted(err)
		}
		return h.fail(ResultFailed, err, "")
	}
	h.event(KindDone, "connected to "+d.endpoint.User+"@"+d.endpoint.Addr())
	if h.t.Rollback != nil {
		return h.rollback(ctx)
	}

	h.begin(PhaseCheck)
	changes, err := h.check(ctx)
	if err != nil {
		return h.failOrInterrupted(ctx, err)
	}
	if !changes {
		h.event(KindDone, "already on the new system")
	} else {
		h.event(KindDone, fmt.Sprintf("%s -> %s", orNone(h.res.CurrentSystem), h.t.Toplevel))
	}

	// Every secret is fetched before anything on the host changes: a failing source
	// fails the host here.
	bundle, err := h.fetchSecrets(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return h.interrupted(err)
		}
		return h.fail(ResultFailed, err, fmt.Sprintf("%s: %s (nothing was changed on the host)", h.phase, oneLine(err.Error())))
	}
	if bundle != nil {
		defer bundle.Wipe()
	}

	if !changes {
		h.res.Result = ResultUnchanged
		h.res.Reason = "already on " + h.t.Toplevel
		if len(h.t.Secrets) > 0 {
			if err := h.secretsOnUnchanged(ctx, bundle); err != nil {
				if ctx.Err() != nil {
					return h.fail(ResultCancelled, errors.Join(ErrInterrupted, err), "interrupted while delivering secrets")
				}
				return h.fail(ResultFailed, err, "")
			}
			if len(h.res.SecretsChanged) > 0 {
				h.res.Reason += "; secrets changed: " + strings.Join(h.res.SecretsChanged, ", ")
			}
		}
		return h.res
	}

	h.begin(PhaseCopy)
	if err := h.copyClosure(ctx); err != nil {
		return h.failOrInterrupted(ctx, err)
	}
	if h.t.Derivation != "" {
		if err := h.buildOnHost(ctx); err != nil {
			return h.failOrInterrupted(ctx, err)
		}
	}
	if h.opts.DryActivate && !h.opts.DryRun {
		return h.dryActivate(ctx)
	}
	// Uploaded before the switch: the switch that follows puts them back if it rolls back.
	if bundle != nil {
		bundle.Journal = secrets.Journal
	}
	err = h.preActivationSecrets(ctx, bundle)
	if bundle != nil {
		bundle.Journal = ""
	}
	if err != nil {
		if ctx.Err() != nil {
			return h.fail(ResultCancelled, errors.Join(ErrInterrupted, err), "interrupted while uploading secrets, before the switch")
		}
		return h.fail(ResultFailed, err, "")
	}
	if res := h.switchSystem(ctx); res.Result != ResultOK && res.Result != ResultWouldApply {
		return res
	}
	// With --action boot nothing was activated: the restarts then cover every secret.
	if err := h.postActivationSecrets(ctx, bundle, h.opts.action() != ActionBoot); err != nil {
		if ctx.Err() != nil {
			return h.fail(ResultCancelled, errors.Join(ErrInterrupted, err), "interrupted after the switch succeeded, during the post-activation secrets")
		}
		return h.fail(ResultFailed, err, fmt.Sprintf("%s: %v (the switch itself succeeded)", h.phase, err))
	}
	return h.res
}

// dryActivate runs the new system's `switch-to-configuration dry-activate` on the host
// (as root) and reports what it says; nothing is switched.
func (h *hostRun) dryActivate(ctx context.Context) HostResult {
	h.begin(PhaseActivate)
	argv := h.asRoot(h.t.Toplevel+"/bin/switch-to-configuration", "dry-activate")
	var out strings.Builder
	_, err := h.conn.Run(ctx, remoteCmd{Argv: argv, Stdout: &out, Stderr: &out})
	lines := command.Lines(out.String())
	for _, l := range lines {
		h.event(KindProgress, l)
	}
	h.res.Commands = append([]string{h.sshLine(argv) + "   # ran (dry-activate); its output:"}, indent(lines)...)
	if err != nil {
		if ctx.Err() != nil {
			return h.interrupted(err)
		}
		return h.fail(ResultFailed, fmt.Errorf("dry-activate: %w", withStderr(err)), "")
	}
	h.res.Result = ResultWouldApply
	h.res.Reason = fmt.Sprintf("dry-activate of %s: %d line(s) of output, nothing switched", h.t.Toplevel, len(lines))
	h.event(KindDone, "dry-activated")
	return h.res
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (h *hostRun) interrupted(err error) HostResult {
	h.res.Result = ResultCancelled
	h.res.Err = &HostError{Host: h.t.Name, Phase: h.phase, Err: errors.Join(ErrInterrupted, err)}
	h.res.Reason = "interrupted before anything changed"
	h.event(KindError, h.res.Reason)
	return h.res
}

func (h *hostRun) failOrInterrupted(ctx context.Context, err error) HostResult {
	if ctx.Err() != nil {
		return h.interrupted(err)
	}
	return h.fail(ResultFailed, err, "")
}

// runningSystemSh sets $c to the system the host runs, fully resolved ("" when none):
// standalone hosts keep it in /var/lib/nixmesh/current-system, NixOS in
// /run/current-system.
const runningSystemSh = `c=; if cd -P /var/lib/nixmesh/current-system 2>/dev/null || cd -P /run/current-system 2>/dev/null; then c=$PWD; fi; `

// currentScript prints the active system, the system profile (each may be empty),
// fully resolved, and the kernel's architecture. It starts no program on Linux 6.1 and
// later: `cd -P` resolves a link as `readlink -e` would (a system is a directory) and
// leaves the result in $PWD, and `read` takes the architecture from
// /proc/sys/kernel/arch, so the host's shell does the whole check with builtins (one
// shell per host instead of six processes). Older kernels have no such file: there
// `uname -m` says it (empty where even that fails).
const currentScript = `p=; a=; ` + runningSystemSh +
	`if cd -P /nix/var/nix/profiles/system 2>/dev/null; then p=$PWD; fi; ` +
	`{ read -r a < /proc/sys/kernel/arch; } 2>/dev/null || a=$(uname -m 2>/dev/null) || a=; ` +
	`printf 'current=%s\nprofile=%s\narch=%s\n' "$c" "$p" "$a"`

// runsOn reports whether a system built for the Nix platform (e.g. "aarch64-linux") runs
// on a kernel of the architecture arch (as uname -m prints it): the same CPU, or a
// 32-bit one the 64-bit kernel also runs (i686 on x86_64, armv6l/armv7l on aarch64).
func runsOn(platform, arch string) bool {
	cpu, _, _ := strings.Cut(platform, "-")
	kernel := nixCPU(arch)
	switch {
	case cpu == kernel:
		return true
	case cpu == "i686" && kernel == "x86_64":
		return true
	case (cpu == "armv7l" || cpu == "armv6l") && kernel == "aarch64":
		return true
	}
	return false
}

// nixCPU names a kernel's architecture (uname -m) as Nix's platforms do.
func nixCPU(arch string) string {
	if cpu, ok := map[string]string{"ppc64le": "powerpc64le", "ppc64": "powerpc64", "ppc": "powerpc", "i386": "i686", "i486": "i686", "i586": "i686"}[arch]; ok {
		return cpu
	}
	return arch
}

// check reads the host's current system and profile, and reports whether the action
// would change anything.
func (h *hostRun) check(ctx context.Context) (bool, error) {
	out, err := h.conn.Run(ctx, remoteCmd{Argv: []string{"sh", "-c", currentScript}})
	if err != nil {
		return false, fmt.Errorf("reading the current system: %w", withStderr(err))
	}
	kv := parseKV(string(out))
	h.res.CurrentSystem = kv["current"]
	h.profile = kv["profile"]
	if arch := kv["arch"]; h.t.Platform != "" && arch != "" && !runsOn(h.t.Platform, arch) {
		return false, fmt.Errorf("%s's kernel runs %s, and its system is built for %s, which it cannot run: nothing was copied. Build the node for its platform (on NixOS: nixpkgs.hostPlatform = \"%s-linux\")", h.t.Name, arch, h.t.Platform, nixCPU(arch))
	}
	onCurrent := kv["current"] == h.t.Toplevel
	inProfile := kv["profile"] == h.t.Toplevel
	switch h.opts.action() {
	case ActionTest:
		return !onCurrent, nil
	case ActionBoot:
		return !inProfile, nil
	default:
		return !(onCurrent && inProfile), nil
	}
}

func parseKV(s string) map[string]string {
	kv := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// processErr returns the *command.ProcessError in err, if any.
func processErr(err error) *command.ProcessError {
	var pe *command.ProcessError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
