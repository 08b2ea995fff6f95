package deploy

import (
	"fmt"
	"time"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/secrets"
)

// Target is one host to deploy: where it is (from the plan) and the system to put there.
type Target struct {
	Name     string // node name
	User     string // "" when the plan's host has no user@ (ssh_config or the current user then)
	Hostname string // as in the plan; also the ssh_config lookup key
	Port     int    // 0 or 22: ssh_config Port may apply
	// SSHOptions are the node's ssh command-line options; -o HostName/User/Port/
	// IdentityFile/ProxyJump/UserKnownHostsFile, -p, -l, -i and -J are honoured.
	SSHOptions []string
	// PrivilegeEscalationCommand prefixes commands that need root when User is not root.
	PrivilegeEscalationCommand []string
	SuccessTimeout             time.Duration // how long the host waits for the confirmation
	SwitchTimeout              time.Duration // how long activation may take on the host
	KeepGenerations            int           // system generations and switch logs kept on the host (0: the switcher's default, 10)
	// HealthChecks run after the activation; the host is confirmed only when all pass
	// (health.go).
	HealthChecks []eval.HealthCheck
	// IgnoreFailingSystemdUnits accepts an activation that exits with 4 (units failed).
	IgnoreFailingSystemdUnits bool
	// SubstituteOnTarget has the host fetch missing paths from its substituters first.
	SubstituteOnTarget bool
	// RebootIfUnreachable: after a rollback no new connection confirms within the
	// success timeout, the host reboots into its boot default.
	RebootIfUnreachable bool
	Toplevel            string // the built system (a store path)
	// Platform is the Nix platform Toplevel runs on ("aarch64-linux"; "" for any): a
	// host whose kernel runs another is refused before anything is copied.
	Platform string
	// Derivation, when set, is Toplevel's derivation, built on the host (buildOnTarget):
	// its closure (derivations and sources) is copied instead of Toplevel's.
	Derivation string
	// Secrets are the node's declared secrets (secrets.FromNetwork), fetched on this
	// machine before anything changes on the host and uploaded around the activation.
	Secrets []secrets.Spec
	// SecretsHost is what restarting after a secret changed needs (secrets.HostOf).
	SecretsHost secrets.Host
	// SkipReason, when set, puts the host in the report as skipped without contacting it
	// (for example: its system failed to build).
	SkipReason string
	// Rollback, when set, switches the host back to a generation it has (rollback.go);
	// Toplevel is then found on the host.
	Rollback *RollbackTo
}

// Action is what the switcher does with the new system (docs/internals.md).
type Action string

const (
	ActionSwitch Action = "switch"
	ActionTest   Action = "test"
	ActionBoot   Action = "boot"
)

// ParseAction checks a --action value.
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case ActionSwitch, ActionTest, ActionBoot:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q (want switch, test or boot)", s)
}

// Options configure a deploy. The zero value deploys with action switch, 10 hosts at a
// time, keeping going after a host fails.
type Options struct {
	Action   Action // "" means switch
	Parallel int    // hosts worked on at once; 0 means 10
	// DryRun connects and reads, but changes nothing: it reports per host the current and
	// new system, what would be copied and the exact commands that would run.
	DryRun bool
	// FailFast cancels the hosts not yet started once one host fails (the CLI's
	// --keep-going=false). Hosts already started always finish.
	FailFast bool
	// Atomic confirms no host until every host is ready, and rolls every host back when
	// one fails (atomic.go).
	Atomic bool
	// DryActivate copies each host's closure and runs its new system's
	// `switch-to-configuration dry-activate` there (what the activation would do),
	// changing nothing else: no secret, no switch.
	DryActivate bool
	// InstallBootloader has `switch-to-configuration boot` install the bootloader
	// (NIXOS_INSTALL_BOOTLOADER=1), for action switch and boot.
	InstallBootloader bool
	SSH               SSHOptions
	// Events receives every event; calls are serialised. nil: events are dropped.
	Events func(Event)
	// NixEnv is the environment of local nix commands; nil inherits.
	NixEnv []string
	// PollInterval is the pause between status polls (0: 1s); PollTimeout bounds one poll
	// (0: 15s); DeadlineMargin is added to switchTimeout + successTimeout to get the
	// overall deadline of a switch (0: 60s).
	PollInterval   time.Duration
	PollTimeout    time.Duration
	DeadlineMargin time.Duration
	// CopyStallTimeout fails a copy that moved no byte for this long (0: 60s).
	CopyStallTimeout time.Duration
	// UnreachableAfter ends the watch of a switch whose host answers no connection for
	// this long (refused, timed out, no route: it crashed or went dark) (0: 15s); the host
	// is reported unreachable with the system it comes back on.
	UnreachableAfter time.Duration
	// InterruptGrace is how long Run waits for its hosts after the context ended (Ctrl-C)
	// before it reports the ones still busy as interrupted (0: 2s).
	InterruptGrace time.Duration
}

func (o Options) action() Action {
	if o.Action == "" {
		return ActionSwitch
	}
	return o.Action
}

func (o Options) parallel() int {
	if o.Parallel <= 0 {
		return 10
	}
	return o.Parallel
}

func durationOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Phase is one step a host goes through, in this order. The three secrets phases are
// entered only by hosts that have secrets.
type Phase string

const (
	PhaseConnect        Phase = "connect"
	PhaseCheck          Phase = "check"
	PhaseFetchSecrets   Phase = "fetch-secrets" // run every secret's source on this machine
	PhaseCopy           Phase = "copy"
	PhaseSecrets        Phase = "secrets" // upload the pre-activation secrets
	PhaseActivate       Phase = "activate"
	PhaseConfirm        Phase = "confirm"
	PhasePostActivation Phase = "post-activation" // post-activation secrets, then restarts
	PhaseDone           Phase = "done"            // the final result event
)

// Title is the human title of a phase.
func (p Phase) Title() string {
	switch p {
	case PhaseConnect:
		return "Connect"
	case PhaseCheck:
		return "Check current system"
	case PhaseFetchSecrets:
		return "Fetch secrets"
	case PhaseCopy:
		return "Copy closure"
	case PhaseSecrets:
		return "Upload pre-activation secrets"
	case PhaseActivate:
		return "Activate"
	case PhaseConfirm:
		return "Confirm"
	case PhasePostActivation:
		return "Post-activation secrets and restarts"
	case PhaseDone:
		return "Done"
	}
	return string(p)
}

// Kind says what an event reports.
type Kind string

const (
	KindStart    Kind = "start"
	KindProgress Kind = "progress"
	KindDone     Kind = "done"
	KindError    Kind = "error"
	KindResult   Kind = "result" // the host's final result (Phase is PhaseDone)
)

// Event is one thing that happened on one host. With --json each is printed as one line.
type Event struct {
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Phase   Phase     `json:"phase"`
	Kind    Kind      `json:"kind"`
	Message string    `json:"message,omitempty"`
	// Copy progress: paths and bytes done of the totals.
	Paths      int   `json:"paths,omitempty"`
	TotalPaths int   `json:"totalPaths,omitempty"`
	Bytes      int64 `json:"bytes,omitempty"`
	TotalBytes int64 `json:"totalBytes,omitempty"`
	// Secret events: the secret's name, its path on the host and, for an upload, what it
	// did (unchanged, changed, metadata; "failed"). Never its contents.
	Secret     string `json:"secret,omitempty"`
	SecretPath string `json:"secretPath,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	// Set on KindResult events.
	Result   Result        `json:"result,omitempty"`
	Duration time.Duration `json:"durationNs,omitempty"`
}

// Result is a host's outcome.
type Result string

const (
	ResultOK         Result = "ok"
	ResultUnchanged  Result = "unchanged"   // already on the new system: nothing copied or activated
	ResultWouldApply Result = "would-apply" // dry run: the host would change
	ResultRolledBack Result = "rolled-back"
	ResultFailed     Result = "failed"
	ResultSkipped    Result = "skipped"   // not contacted (Target.SkipReason)
	ResultCancelled  Result = "cancelled" // not started, or interrupted (see HostResult.SwitchID)
)

// HostResult is one row of the report.
type HostResult struct {
	Host     string        `json:"host"`
	Result   Result        `json:"result"`
	Duration time.Duration `json:"durationNs"`
	Reason   string        `json:"reason,omitempty"`
	Err      error         `json:"-"` // a *HostError for failed, rolled-back and cancelled hosts

	CurrentSystem string `json:"currentSystem,omitempty"`
	NewSystem     string `json:"newSystem,omitempty"`
	CopiedPaths   int    `json:"copiedPaths"`
	CopiedBytes   int64  `json:"copiedBytes"`
	// SecretsChanged names the secrets whose file the deploy wrote or fixed.
	SecretsChanged []string `json:"secretsChanged,omitempty"`
	// SwitchID is set once the switcher started. When the deploy stopped watching before
	// the switch ended (interrupted, deadline), StatusCommand tells how to check it.
	SwitchID      string `json:"switchId,omitempty"`
	MidSwitch     bool   `json:"midSwitch,omitempty"`
	StatusCommand string `json:"statusCommand,omitempty"`
	LogCommand    string `json:"logCommand,omitempty"`
	// Commands are, for a dry run, the exact commands that would change the host.
	Commands []string `json:"commands,omitempty"`
	// Diff is how the new system's closure differs from the running one's (dry runs).
	Diff *ClosureDiff `json:"diff,omitempty"`
}
