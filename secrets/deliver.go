package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nixmesh/nixmesh/internal/command"
)

// Event is one step of a secret's delivery, for progress and --json output. It names
// the secret, never its contents.
type Event struct {
	Node    string `json:"node"`
	Secret  string `json:"secret,omitempty"`
	Path    string `json:"path,omitempty"`
	Step    string `json:"step"`              // "fetch", "upload", "restart"
	Outcome string `json:"outcome,omitempty"` // upload: Outcome; "failed" on error
	Message string `json:"message,omitempty"`
}

// Result is the outcome of one secret's upload.
type Result struct {
	Spec    Spec
	Outcome Outcome
}

// Bundle holds one host's fetched secrets in memory between the deploy's phases.
// Call Wipe when done: it overwrites the bytes.
type Bundle struct {
	specs   []Spec
	data    map[string][]byte // by secret name
	changed []Spec            // secrets whose file changed, over every Upload
	// Journal, when set, makes Upload's changes undoable by the switch that follows
	// (UploadArgv): set it for the uploads before a switch, and only then.
	Journal string
}

// FetchAll fetches every one of specs (one node's secrets) before anything is uploaded,
// so that a failing source fails the host before it is changed. On error nothing is kept.
func FetchAll(ctx context.Context, specs []Spec, events func(Event)) (*Bundle, error) {
	b := &Bundle{specs: specs, data: make(map[string][]byte, len(specs))}
	for _, s := range specs {
		if err := ctx.Err(); err != nil {
			b.Wipe()
			return nil, err
		}
		data, err := Fetch(ctx, s)
		if err != nil {
			b.Wipe()
			emit(events, Event{Node: s.Node, Secret: s.Name, Path: s.Path, Step: "fetch", Outcome: "failed", Message: err.Error()})
			return nil, err
		}
		b.data[s.Name] = data
		emit(events, Event{Node: s.Node, Secret: s.Name, Path: s.Path, Step: "fetch", Message: "fetched (" + s.Source() + ")"})
	}
	return b, nil
}

// Specs returns the secrets of the bundle of the given phase ("" for all).
func (b *Bundle) Specs(phase Phase) []Spec {
	var out []Spec
	for _, s := range b.specs {
		if phase == "" || s.UploadAt == phase {
			out = append(out, s)
		}
	}
	return out
}

// Upload writes the bundle's secrets of phase to the host, in name order, stopping at the
// first failure.
func (b *Bundle) Upload(ctx context.Context, remote Remote, phase Phase, events func(Event)) ([]Result, error) {
	var results []Result
	for _, s := range b.Specs(phase) {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		data, ok := b.data[s.Name]
		if !ok {
			return results, fmt.Errorf("secret %s of node %s was not fetched (or the bundle was wiped)", s.Name, s.Node)
		}
		o, err := upload(ctx, remote, s, data, b.Journal)
		if err != nil {
			emit(events, Event{Node: s.Node, Secret: s.Name, Path: s.Path, Step: "upload", Outcome: "failed", Message: err.Error()})
			return results, err
		}
		results = append(results, Result{Spec: s, Outcome: o})
		if o != Unchanged {
			b.changed = append(b.changed, s)
		}
		emit(events, Event{Node: s.Node, Secret: s.Name, Path: s.Path, Step: "upload", Outcome: string(o), Message: describeOutcome(s, o)})
	}
	return results, nil
}

// Changed returns the secrets whose file Upload changed so far (contents or metadata).
func (b *Bundle) Changed() []Spec { return append([]Spec(nil), b.changed...) }

// Wipe overwrites the fetched bytes and forgets them.
func (b *Bundle) Wipe() {
	for k, d := range b.data {
		clear(d)
		delete(b.data, k)
	}
}

// DeliverAll fetches all of a host's secrets, then uploads those of phase, then wipes
// them. Use FetchAll and Bundle.Upload to deliver both phases from one fetch.
func DeliverAll(ctx context.Context, remote Remote, specs []Spec, phase Phase, events func(Event)) ([]Result, error) {
	b, err := FetchAll(ctx, specs, events)
	if err != nil {
		return nil, err
	}
	defer b.Wipe()
	return b.Upload(ctx, remote, phase, events)
}

// Status fetches every secret and compares it with the host's file (see CheckOne),
// without changing anything or printing contents.
func Status(ctx context.Context, remote Remote, specs []Spec) ([]Report, error) {
	b, err := FetchAll(ctx, specs, nil)
	if err != nil {
		return nil, err
	}
	defer b.Wipe()
	var reports []Report
	for _, s := range specs {
		r, err := CheckOne(ctx, remote, s, b.data[s.Name])
		if err != nil {
			return reports, err
		}
		reports = append(reports, r)
	}
	return reports, nil
}

func describeOutcome(s Spec, o Outcome) string {
	mode, _ := normalMode(s.Mode)
	switch o {
	case Changed:
		return fmt.Sprintf("wrote %s (%s:%s %s)", s.Path, s.Owner, s.Group, mode)
	case Metadata:
		return fmt.Sprintf("set %s to %s:%s %s (contents unchanged)", s.Path, s.Owner, s.Group, mode)
	}
	return s.Path + " up to date"
}

func emit(events func(Event), e Event) {
	if events != nil {
		events(e)
	}
}

// stderrSuffix is the remote stderr of a process error, for messages.
func stderrSuffix(err error) string {
	var pe *command.ProcessError
	if errors.As(err, &pe) {
		if s := strings.TrimSpace(pe.Stderr); s != "" {
			return ": " + s
		}
	}
	return ""
}
