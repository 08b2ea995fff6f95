package secrets

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/command"
)

//go:embed inventory.nix
var inventoryExpr string

// Inventory is what `nixmesh keys` reads from a deployment's config (not its plan, which
// cannot be evaluated while public keys are missing). See inventory.nix.
type Inventory struct {
	Nodes    map[string]InventoryNode       `json:"nodes"`
	HostKeys map[string]map[string]string   `json:"hostKeys"` // ssh.access.<node>.hostKeys
	VPN      map[string]InventoryVPNNetwork `json:"vpn"`      // vpn.networks
}

// InventoryNode is a node's connection settings; fields that did not evaluate are zero.
type InventoryNode struct {
	Host                       *string  `json:"host"`
	Port                       *int     `json:"port"`
	SSHOptions                 []string `json:"sshOptions"`
	PrivilegeEscalationCommand []string `json:"privilegeEscalationCommand"`
	Tags                       []string `json:"tags"`
	Enable                     *bool    `json:"enable"`
}

// InventoryVPNNetwork is one of vpn.networks.
type InventoryVPNNetwork struct {
	Backend *string                       `json:"backend"`
	Members map[string]InventoryVPNMember `json:"members"`
}

// InventoryVPNMember is one member; PublicKey is nil when it is not (yet) set.
type InventoryVPNMember struct {
	PublicKey      *string `json:"publicKey"`
	PrivateKeyFile *string `json:"privateKeyFile"`
}

// LoadInventory evaluates inventory.nix on the deployment file (an absolute path).
// nixArgs (e.g. --arg x 1) reach a deployment that is a function. A Nix failure is an
// *eval.EvalError.
func LoadInventory(ctx context.Context, file string, nixArgs, env []string) (*Inventory, error) {
	argv := []string{"nix-instantiate", "--eval", "--strict", "--json", "--argstr", "file", file}
	argv = append(argv, nixArgs...)
	argv = append(argv, "-E", inventoryExpr)
	out, err := command.Output(ctx, command.Cmd{Argv: argv, Env: env})
	if err != nil {
		var pe *command.ProcessError
		if ctx.Err() == nil && errors.As(err, &pe) && pe.ExitCode > 0 {
			return nil, &eval.EvalError{Diagnostics: eval.ParseDiagnostics(pe.Stderr), Proc: pe}
		}
		return nil, err
	}
	var inv Inventory
	if err := json.Unmarshal(out, &inv); err != nil {
		return nil, fmt.Errorf("reading the deployment's nodes: %w", err)
	}
	return &inv, nil
}

// Names returns the node names, sorted.
func (inv *Inventory) Names() []string {
	var names []string
	for n := range inv.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Select returns the nodes matching the selectors, sorted, by the same rules as every
// other command (eval.Select: names, @tag and globs select enabled nodes, a name also a
// disabled one, "did you mean" for a near miss); no selector selects every enabled node.
func (inv *Inventory) Select(selectors []string) ([]string, error) {
	n := &eval.Network{Nodes: map[string]*eval.Node{}}
	for name, node := range inv.Nodes {
		n.Nodes[name] = &eval.Node{Name: name, Enable: node.Enable == nil || *node.Enable, Tags: node.Tags}
	}
	return eval.Select(n, selectors)
}

var hostRe = regexp.MustCompile(`^(?:([^@]*)@)?(.*)$`)

// Address returns a node's SSH user ("" when none), host name (IPv6 without brackets)
// and port.
func (n InventoryNode) Address() (user, host string, port int, err error) {
	if n.Host == nil {
		return "", "", 0, errors.New("has no host (nodes.<name>.host)")
	}
	m := hostRe.FindStringSubmatch(*n.Host)
	user, host = m[1], m[2]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	port = 22
	if n.Port != nil {
		port = *n.Port
	}
	return user, host, port, nil
}

// Node returns the node's connection settings as a plan node (no configuration), for
// reaching it over SSH.
func (n InventoryNode) Node(name string) (*eval.Node, error) {
	user, host, port, err := n.Address()
	if err != nil {
		return nil, fmt.Errorf("node %s %w", name, err)
	}
	return &eval.Node{Name: name, User: user, Hostname: host, Port: port, SSHOptions: n.SSHOptions,
		PrivilegeEscalationCommand: n.PrivilegeEscalationCommand}, nil
}

// ---- Nix key files ---------------------------------------------------------------------

// ReadKeyFile reads a two-level attribute set of strings ({ a = { b = "..."; }; }) from a
// Nix file; a missing file is an empty set.
func ReadKeyFile(ctx context.Context, file string, env []string) (map[string]map[string]string, error) {
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return map[string]map[string]string{}, nil
	}
	out, err := command.Output(ctx, command.Cmd{Argv: []string{"nix-instantiate", "--eval", "--strict", "--json", file}, Env: env})
	if err != nil {
		var pe *command.ProcessError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("reading %s: %w: %s", file, err, strings.TrimSpace(pe.Stderr))
		}
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	var m map[string]map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("%s is not of the form { NAME = { NAME = \"...\"; }; }: %w", file, err)
	}
	if m == nil {
		m = map[string]map[string]string{}
	}
	return m, nil
}

var nixIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*$`)

func nixAttr(s string) string {
	if nixIdent.MatchString(s) && s != "rec" && s != "let" && s != "in" && s != "with" && s != "inherit" && s != "if" && s != "then" && s != "else" && s != "assert" && s != "or" {
		return s
	}
	return nixString(s)
}

func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// RenderKeyFile renders a two-level attribute set of strings, sorted, with a header
// comment (lines without "# ").
func RenderKeyFile(header []string, m map[string]map[string]string) []byte {
	var b strings.Builder
	for _, h := range header {
		b.WriteString("# " + h + "\n")
	}
	b.WriteString("{\n")
	outer := make([]string, 0, len(m))
	for k := range m {
		outer = append(outer, k)
	}
	sort.Strings(outer)
	for _, k := range outer {
		inner := make([]string, 0, len(m[k]))
		for ik := range m[k] {
			inner = append(inner, ik)
		}
		sort.Strings(inner)
		b.WriteString("  " + nixAttr(k) + " = {\n")
		for _, ik := range inner {
			b.WriteString("    " + nixAttr(ik) + " = " + nixString(m[k][ik]) + ";\n")
		}
		b.WriteString("  };\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// writeKeyFile writes keys with the header unless the file already holds exactly that;
// with no keys and no file it writes nothing. It reports whether it wrote.
func writeKeyFile(file string, header []string, keys map[string]map[string]string) (bool, error) {
	if len(keys) == 0 {
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
	}
	return writeIfChanged(file, RenderKeyFile(header, keys))
}

// writeIfChanged writes data to file atomically unless the file already holds it.
// It reports whether it wrote.
func writeIfChanged(file string, data []byte) (bool, error) {
	if old, err := os.ReadFile(file); err == nil && string(old) == string(data) {
		return false, nil
	}
	dir, base := path.Split(file)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), file)
}

func merged(existing map[string]map[string]string, add map[string]map[string]string) (map[string]map[string]string, bool) {
	out := map[string]map[string]string{}
	for k, v := range existing {
		out[k] = map[string]string{}
		for ik, iv := range v {
			out[k][ik] = iv
		}
	}
	changed := false
	for k, v := range add {
		if out[k] == nil {
			out[k] = map[string]string{}
		}
		for ik, iv := range v {
			if old, ok := out[k][ik]; !ok || old != iv {
				out[k][ik] = iv
				changed = true
			}
		}
	}
	return out, changed
}
