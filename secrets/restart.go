package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/shell"
)

// Host is what Restart needs to know about a node.
type Host struct {
	Node string
	Kind string // "standalone" or "nixos"
	// ActivationScripts are the node's system.activationScripts (standalone), from the plan.
	ActivationScripts map[string]Snippet
}

// Snippet is one activation script.
type Snippet struct {
	Text string
	Deps []string
}

// HostOf reads a plan node's kind and activation scripts.
func HostOf(n *eval.Node) (Host, error) {
	h := Host{Node: n.Name, Kind: n.Kind, ActivationScripts: map[string]Snippet{}}
	var cfg struct {
		System struct {
			ActivationScripts map[string]json.RawMessage `json:"activationScripts"`
		} `json:"system"`
	}
	if len(n.Configuration.Raw) > 0 {
		if err := json.Unmarshal(n.Configuration.Raw, &cfg); err != nil {
			return h, fmt.Errorf("node %s: system.activationScripts: %w", n.Name, err)
		}
	}
	for name, raw := range cfg.System.ActivationScripts {
		var text string
		if err := json.Unmarshal(raw, &text); err == nil {
			h.ActivationScripts[name] = Snippet{Text: text}
			continue
		}
		var s struct {
			Text string   `json:"text"`
			Deps []string `json:"deps"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return h, fmt.Errorf("node %s: system.activationScripts.%s: %w", n.Name, name, err)
		}
		h.ActivationScripts[name] = Snippet{Text: s.Text, Deps: s.Deps}
	}
	return h, nil
}

// Action is one remote command that Restart runs. Stdin is not secret (a snippet's text).
type Action struct {
	Argv    []string
	Stdin   string
	Display string // what it does, for people and dry runs
}

// runSnippet runs the script on stdin as the standalone activation does (`bash -e FILE`).
const runSnippet = `f=$(mktemp) || exit 1
cat >"$f"
bash -e -- "$f"
rc=$?
rm -f -- "$f"
exit $rc
`

// RestartActions lists what to run on the host after secrets changed: on NixOS one
// `systemctl restart` of the units named in their restartOnChange; on standalone hosts
// each named activation script once, in dependency order (then by name).
func RestartActions(h Host, changed []Spec) ([]Action, error) {
	seen := map[string]bool{}
	var names []string
	for _, s := range changed {
		for _, r := range s.RestartOnChange {
			if !seen[r] {
				seen[r] = true
				names = append(names, r)
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	sort.Strings(names)
	if h.Kind == "nixos" {
		argv := append([]string{"systemctl", "restart", "--"}, names...)
		return []Action{{Argv: argv, Display: shell.Quote(argv)}}, nil
	}
	for _, n := range names {
		if _, ok := h.ActivationScripts[n]; !ok {
			return nil, fmt.Errorf("node %s: restartOnChange names %q, which is not an activation script of the node", h.Node, n)
		}
	}
	var actions []Action
	done := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		if done[n] {
			return
		}
		done[n] = true
		deps := append([]string(nil), h.ActivationScripts[n].Deps...)
		sort.Strings(deps)
		for _, d := range deps {
			if seen[d] {
				visit(d)
			}
		}
		actions = append(actions, Action{
			Argv:    []string{"sh", "-c", runSnippet, "nixmesh-run-activation-script", n},
			Stdin:   h.ActivationScripts[n].Text,
			Display: "re-run activation script " + n,
		})
	}
	for _, n := range names {
		visit(n)
	}
	return actions, nil
}

// ToRestart picks, from the secrets whose file changed during a deploy, those whose
// restartOnChange must still be acted on after the activation step. On a standalone host
// an activation that ran has already re-run every activation script after the
// pre-activation secrets were written, so only post-activation secrets remain; when the
// activation was skipped (system unchanged) or on NixOS (whose switch does not know a
// secret changed), all of them remain.
func ToRestart(h Host, changed []Spec, activated bool) []Spec {
	var out []Spec
	for _, s := range changed {
		if h.Kind != "nixos" && activated && s.UploadAt == PreActivation {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Restart runs RestartActions(h, changed) through remote, stopping at the first failure.
func Restart(ctx context.Context, remote Remote, h Host, changed []Spec, events func(Event)) error {
	actions, err := RestartActions(h, changed)
	if err != nil {
		return err
	}
	for _, a := range actions {
		var stdin *strings.Reader
		if a.Stdin != "" {
			stdin = strings.NewReader(a.Stdin)
		}
		var err error
		if stdin != nil {
			err = remote.Run(ctx, a.Argv, stdin, nil)
		} else {
			err = remote.Run(ctx, a.Argv, nil, nil)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w%s", a.Display, err, stderrSuffix(err))
			emit(events, Event{Node: h.Node, Step: "restart", Outcome: "failed", Message: err.Error()})
			return err
		}
		emit(events, Event{Node: h.Node, Step: "restart", Message: a.Display})
	}
	return nil
}
