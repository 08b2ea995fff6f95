package secrets

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/shell"
)

// Phase is when a secret is uploaded, relative to the activation of the new system.
type Phase string

const (
	PreActivation  Phase = "pre-activation"
	PostActivation Phase = "post-activation"
)

// Source kinds.
const (
	SourceCommand = "command"
	SourceFile    = "file"
)

// Spec is one declared secret of one node, as the plan has it
// (plan.network.secrets.<node>.<name>): where its bytes come from and where they go.
// It never holds the secret itself.
type Spec struct {
	Node string `json:"node"`
	Name string `json:"name"`
	// Kind is SourceCommand (Command is the argv) or SourceFile (File is the path).
	Kind    string   `json:"kind"`
	Command []string `json:"command,omitempty"`
	File    string   `json:"file,omitempty"`
	// Path, Owner, Group and Mode describe the file on the host. Mode is octal ("0400").
	Path            string   `json:"path"`
	Owner           string   `json:"owner"`
	Group           string   `json:"group"`
	Mode            string   `json:"mode"`
	UploadAt        Phase    `json:"uploadAt"`
	RestartOnChange []string `json:"restartOnChange"`
}

// Source describes the source for people: the command line (never its output) or the file.
func (s Spec) Source() string {
	if s.Kind == SourceCommand {
		return "command: " + shell.Quote(s.Command)
	}
	return "file: " + s.File
}

// planSecret is one entry of plan.network.secrets.<node>.
type planSecret struct {
	Name   string `json:"name"`
	Source struct {
		Kind    string   `json:"kind"`
		Command []string `json:"command"`
		File    string   `json:"file"`
	} `json:"source"`
	Path            string   `json:"path"`
	Owner           string   `json:"owner"`
	Group           string   `json:"group"`
	Mode            string   `json:"mode"`
	UploadAt        Phase    `json:"uploadAt"`
	RestartOnChange []string `json:"restartOnChange"`
}

// FromNetwork returns every node's secrets from the plan, each node's sorted by name.
// A node without secrets has no entry. A plan without the secrets module gives an empty map.
func FromNetwork(n *eval.Network) (map[string][]Spec, error) {
	raw, ok := n.Network["secrets"]
	if !ok {
		return map[string][]Spec{}, nil
	}
	return decodeSecrets(raw)
}

func decodeSecrets(raw json.RawMessage) (map[string][]Spec, error) {
	var perNode map[string]map[string]planSecret
	if err := json.Unmarshal(raw, &perNode); err != nil {
		return nil, fmt.Errorf("plan.network.secrets: %w", err)
	}
	out := map[string][]Spec{}
	for node, secrets := range perNode {
		var specs []Spec
		for name, p := range secrets {
			s := Spec{
				Node: node, Name: name, Kind: p.Source.Kind, Command: p.Source.Command, File: p.Source.File,
				Path: p.Path, Owner: p.Owner, Group: p.Group, Mode: p.Mode, UploadAt: p.UploadAt,
				RestartOnChange: p.RestartOnChange,
			}
			if err := s.validate(); err != nil {
				return nil, err
			}
			specs = append(specs, s)
		}
		if len(specs) == 0 {
			continue
		}
		sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
		out[node] = specs
	}
	return out, nil
}

// validate checks what the Nix types already check, so that a Spec built by hand (or a
// plan from elsewhere) cannot make the remote program misbehave.
func (s Spec) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("secret %s of node %s: %s", s.Name, s.Node, fmt.Sprintf(format, args...))
	}
	switch s.Kind {
	case SourceCommand:
		if len(s.Command) == 0 {
			return bad("empty command")
		}
	case SourceFile:
		if !strings.HasPrefix(s.File, "/") {
			return bad("source file %q is not an absolute path", s.File)
		}
	default:
		return bad("unknown source kind %q", s.Kind)
	}
	if !strings.HasPrefix(s.Path, "/") || strings.HasSuffix(s.Path, "/") {
		return bad("path %q is not an absolute file path", s.Path)
	}
	if _, err := normalMode(s.Mode); err != nil {
		return bad("%v", err)
	}
	for _, p := range []string{s.Owner, s.Group} {
		if p == "" || strings.HasPrefix(p, "-") || strings.ContainsAny(p, ": \t\n/") {
			return bad("bad owner or group %q", p)
		}
	}
	if s.UploadAt != PreActivation && s.UploadAt != PostActivation {
		return bad("uploadAt %q is neither %q nor %q", s.UploadAt, PreActivation, PostActivation)
	}
	return nil
}

// normalMode turns "0400" into "400", the form `stat -c %a` prints.
func normalMode(m string) (string, error) {
	v, err := strconv.ParseUint(m, 8, 32)
	if err != nil || v > 0o7777 {
		return "", fmt.Errorf("mode %q is not an octal file mode", m)
	}
	return strconv.FormatUint(v, 8), nil
}
