package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/nixmesh/nixmesh/secrets"
)

// Secrets in the host's phases (README "Secrets"): after the check, every secret of the
// host is fetched on this machine (a failing source fails the host before anything on it
// changes); after the copy the pre-activation secrets are uploaded; after a successful
// switch the post-activation ones, then the restarts of the secrets that changed
// (secrets.ToRestart). A host already on its new system still gets both phases and its
// restarts. The bytes stay in the secrets.Bundle (wiped when the host is done) and travel
// only on the stdin of the upload command; events name secrets, never contents.

// secretsRemote is the secrets.Remote of a host: commands run on the host's shared
// connection, as root (the node's privilege escalation), through the change helper.
type secretsRemote struct {
	h *hostRun
}

func (r secretsRemote) Run(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error {
	if stdout == nil {
		stdout = io.Discard
	}
	conn, err := r.h.connection(ctx)
	if err != nil {
		return err
	}
	rc := remoteCmd{Argv: r.h.asRoot(argv...), Stdin: stdin, Stdout: stdout}
	// A dry run never gets here (dryRunSecrets records secrets.Describe instead), so the
	// display is only a fallback.
	_, err = r.h.change(ctx, conn, r.h.sshLine(rc.Argv), rc)
	return err
}

// connection returns the shared connection, opening a new one when the switch's polling
// dropped it (activation may restart sshd).
func (h *hostRun) connection(ctx context.Context) (*Conn, error) {
	if h.conn != nil {
		return h.conn, nil
	}
	c, err := h.dialer.dialOnce(ctx)
	if err != nil {
		return nil, err
	}
	h.conn = c
	return c, nil
}

// secretEvent turns a secrets.Event into a deploy event of the current phase. A failure
// is reported once, by the host's error event; here it is only named.
func (h *hostRun) secretEvent(e secrets.Event) {
	ev := Event{Time: time.Now(), Host: h.t.Name, Phase: h.phase, Kind: KindProgress,
		Secret: e.Secret, SecretPath: e.Path, Outcome: e.Outcome, Message: e.Message}
	if e.Outcome == "failed" {
		ev.Message = e.Step + " failed"
		if e.Secret != "" {
			ev.Message = "secret " + e.Secret + ": " + ev.Message
		}
	}
	h.emit(ev)
}

// fetchSecrets runs the sources of every secret of the host. It returns nil (and changes
// nothing) for a host without secrets and in a dry run, which runs no source.
func (h *hostRun) fetchSecrets(ctx context.Context) (*secrets.Bundle, error) {
	if len(h.t.Secrets) == 0 {
		return nil, nil
	}
	h.begin(PhaseFetchSecrets)
	// A restartOnChange naming no activation script would fail only after the upload.
	if _, err := secrets.RestartActions(h.t.SecretsHost, h.t.Secrets); err != nil {
		return nil, err
	}
	if h.opts.DryRun || h.opts.DryActivate {
		h.event(KindDone, "a dry run runs no secret source")
		return nil, nil
	}
	b, err := secrets.FetchAll(ctx, h.t.Secrets, h.secretEvent)
	if err != nil {
		return nil, err
	}
	h.event(KindDone, fmt.Sprintf("fetched %s", count(len(h.t.Secrets), "secret")))
	return b, nil
}

// uploadSecrets uploads the bundle's secrets of phase and records which changed.
func (h *hostRun) uploadSecrets(ctx context.Context, b *secrets.Bundle, phase secrets.Phase) error {
	before := len(b.Changed())
	if _, err := b.Upload(ctx, secretsRemote{h}, phase, h.secretEvent); err != nil {
		return err
	}
	changed := b.Changed()[before:]
	for _, s := range changed {
		h.res.SecretsChanged = append(h.res.SecretsChanged, s.Name)
	}
	h.event(KindDone, fmt.Sprintf("uploaded %s, %d changed", count(len(b.Specs(phase)), string(phase)+" secret"), len(changed)))
	return nil
}

// restartAfterSecrets runs the restarts of the secrets that changed and still need one.
func (h *hostRun) restartAfterSecrets(ctx context.Context, b *secrets.Bundle, activated bool) error {
	changed := secrets.ToRestart(h.t.SecretsHost, b.Changed(), activated)
	return secrets.Restart(ctx, secretsRemote{h}, h.t.SecretsHost, changed, h.secretEvent)
}

// preActivationSecrets is the PhaseSecrets step of a host that is about to switch.
func (h *hostRun) preActivationSecrets(ctx context.Context, b *secrets.Bundle) error {
	if len(secretsOf(h.t.Secrets, secrets.PreActivation)) == 0 {
		return nil
	}
	h.begin(PhaseSecrets)
	if h.opts.DryRun {
		return h.dryRunSecrets(ctx, secrets.PreActivation)
	}
	return h.uploadSecrets(ctx, b, secrets.PreActivation)
}

// postActivationSecrets is the PhasePostActivation step, after the switch succeeded
// (activated: the new system was activated, not only made the boot default).
func (h *hostRun) postActivationSecrets(ctx context.Context, b *secrets.Bundle, activated bool) error {
	posts := secretsOf(h.t.Secrets, secrets.PostActivation)
	if h.opts.DryRun {
		if len(posts) > 0 {
			h.begin(PhasePostActivation)
		}
		return h.dryRunSecrets(ctx, secrets.PostActivation)
	}
	if b == nil || len(posts) == 0 && len(secrets.ToRestart(h.t.SecretsHost, b.Changed(), activated)) == 0 {
		return nil
	}
	h.begin(PhasePostActivation)
	if err := h.uploadSecrets(ctx, b, secrets.PostActivation); err != nil {
		return err
	}
	return h.restartAfterSecrets(ctx, b, activated)
}

// dryRunSecrets records, through the change helper, what uploading the secrets of phase
// would do (secrets.Describe) and, for each, what would run if it changed. It runs no
// source and uploads nothing.
func (h *hostRun) dryRunSecrets(ctx context.Context, phase secrets.Phase) error {
	for _, s := range h.t.Secrets {
		if s.UploadAt != phase {
			continue
		}
		display := secrets.Describe(s)
		if actions, err := secrets.RestartActions(h.t.SecretsHost, []secrets.Spec{s}); err != nil {
			return err
		} else if len(actions) > 0 {
			var what []string
			for _, a := range actions {
				what = append(what, a.Display)
			}
			display += "; if it changes: " + strings.Join(what, ", ")
		}
		if _, err := h.change(ctx, nil, display, remoteCmd{}); !errors.Is(err, errDryRun) {
			return err
		}
	}
	return nil
}

// secretsOnUnchanged delivers the secrets of a host already on its new system: secrets
// can change while the system does not. When a pre-activation secret changed on a
// standalone host that runs the new system, that system is activated again
// (`switch-to-configuration test`): files such as a WireGuard private key are read by the
// activation itself (not by an activation script that restartOnChange could name), and
// the activation re-runs every activation script after the secrets were written, so only
// the post-activation secrets' restarts remain to run. On NixOS, and when the host does
// not run the new system (--action boot), nothing is activated and every changed
// secret's restart runs.
func (h *hostRun) secretsOnUnchanged(ctx context.Context, b *secrets.Bundle) error {
	stc := h.asRoot(path.Join(h.t.Toplevel, "bin", "switch-to-configuration"), "test")
	reactivate := h.t.SecretsHost.Kind != "nixos" && h.res.CurrentSystem == h.t.Toplevel
	if err := h.preActivationSecrets(ctx, b); err != nil {
		return err
	}
	if h.opts.DryRun {
		if reactivate && len(secretsOf(h.t.Secrets, secrets.PreActivation)) > 0 {
			h.change(ctx, nil, h.sshLine(stc)+"   # only if a pre-activation secret changed", remoteCmd{})
		}
		return h.postActivationSecrets(ctx, b, false)
	}
	activated := false
	if reactivate && len(b.Changed()) > 0 {
		conn, err := h.connection(ctx)
		if err != nil {
			return err
		}
		if _, err := h.change(ctx, conn, h.sshLine(stc), remoteCmd{Argv: stc, Stdout: io.Discard}); err != nil {
			return fmt.Errorf("activating %s again after its secrets changed: %w", h.t.Toplevel, withStderr(err))
		}
		activated = true
		h.event(KindProgress, "activated the current system again (switch-to-configuration test): pre-activation secrets changed")
	}
	return h.postActivationSecrets(ctx, b, activated)
}

func secretsOf(specs []secrets.Spec, phase secrets.Phase) []secrets.Spec {
	var out []secrets.Spec
	for _, s := range specs {
		if s.UploadAt == phase {
			out = append(out, s)
		}
	}
	return out
}

// oneLine joins a multi-line message (a source's stderr) for the report's reason column.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// count is "1 secret", "2 secrets".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
