package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/natural"
)

type diffOptions struct {
	global     *globalOptions
	Selectors  []string
	NixArgs    []string
	Identities []string
	KnownHosts []string
	workers    workerOptions
}

func newDiffCommand(g *globalOptions) *cobra.Command {
	opts := diffOptions{global: g}
	cmd := &cobra.Command{
		Use:   "diff [NODE|@TAG|GLOB...] [-- NIX-ARGS...]",
		Short: "Show how each host's configuration would change, against what it runs",
		Long: `Evaluate the deployment and compare each selected node's configuration with the one
its host runs now, read from the running system over the deploy engine's SSH transport
(a standalone system carries its configuration as config.json). Nothing is built or
changed. Each difference is one line with its option path:

  ~ networking.hostName: "old" -> "new"
  + users.users.alice: {"isNormalUser":true,...}
  - services.nsd.zones."old.test"

Lists are compared whole. NixOS hosts are compared on the options nixmesh shows for them
(NIXOS-SUBSET.md), which their systems record; a system deployed before nixmesh recorded
it is only named.

Exit codes: 0 (differences or not), 2 usage error, 3 evaluation error, 5 a host could
not be read.`,
		Example: `  nixmesh diff                 every enabled node
  nixmesh diff web -- --argstr release next`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			return runDiff(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	opts.workers.evalFlags(cmd)
	sshFileFlags(f, &opts.Identities, &opts.KnownHosts)
	return cmd
}

// runningConfigScript prints "system=PATH" and, when the running system records its
// configuration (standalone: manifest.nix's config_json; NixOS: nixmesh-config.json,
// written by nix-modules/nixos/switcher.nix), "config:" and its JSON.
const runningConfigScript = `c=$(readlink -e /var/lib/nixmesh/current-system || readlink -e /run/current-system) || { echo system=; exit 0; }
echo "system=$c"
f=$(sed -n 's/^config_json=//p' "$c/manifest.nix" 2>/dev/null | head -n 1)
[ -n "$f" ] || f=$c/nixmesh-config.json
if [ -r "$f" ]; then echo config:; cat "$f"; fi
`

func runDiff(ctx context.Context, opts diffOptions, out io.Writer) error {
	network, names, err := opts.global.planSelected(ctx, opts.NixArgs, opts.Selectors, opts.workers)
	if err != nil {
		return err
	}
	sshOpts, err := sshOptionsFor(network, opts.Identities, opts.KnownHosts)
	if err != nil {
		return err
	}
	reports := make([]string, len(names))
	var unreachable []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text, err := diffNode(ctx, sshOpts, network.Nodes[name], network.Nodes[name].Configuration)
			if err != nil {
				mu.Lock()
				unreachable = append(unreachable, name)
				mu.Unlock()
				text = fmt.Sprintf("%s: cannot read its running configuration: %v\n", name, err)
			}
			reports[i] = text
		}()
	}
	wg.Wait()
	for _, r := range reports {
		fmt.Fprint(out, r)
	}
	if ctx.Err() != nil {
		return &interruptedError{err: ctx.Err()}
	}
	if len(unreachable) > 0 {
		natural.Sort(unreachable)
		return &execFailedError{unreachable: true, err: fmt.Errorf("could not read %s", strings.Join(unreachable, ", "))}
	}
	return nil
}

// diffNode reads what the node's host runs and compares its configuration with want.
func diffNode(ctx context.Context, o deploy.SSHOptions, node *eval.Node, want eval.Configuration) (string, error) {
	s, err := deploy.Open(ctx, o, deploy.NewTarget(node, ""))
	if err != nil {
		return "", err
	}
	defer s.Close()
	var buf strings.Builder
	code, err := s.Exec(ctx, deploy.Command{Argv: []string{"sh", "-c", runningConfigScript}, AsRoot: true, Stdout: &buf})
	if err == nil && code != 0 {
		err = fmt.Errorf("exit code %d", code)
	}
	if err != nil {
		return "", err
	}
	head, config, hasConfig := strings.Cut(buf.String(), "config:\n")
	system := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(head), "system="))
	switch {
	case system == "":
		return fmt.Sprintf("%s: runs no system yet; everything is new\n", node.Name), nil
	case !hasConfig:
		return fmt.Sprintf("%s: runs %s, which records no configuration (deployed before nixmesh recorded it); nothing to compare\n", node.Name, system), nil
	}
	var old, neu any
	if err := json.Unmarshal([]byte(config), &old); err != nil {
		return "", fmt.Errorf("the running system's config.json: %w", err)
	}
	if err := json.Unmarshal(want.Raw, &neu); err != nil {
		return "", fmt.Errorf("the plan's configuration: %w", err)
	}
	var lines []string
	configDiff(nil, old, neu, &lines)
	if len(lines) == 0 {
		return fmt.Sprintf("%s: no change (runs %s)\n", node.Name, system), nil
	}
	return fmt.Sprintf("%s: %d change(s) against %s\n  %s\n", node.Name, len(lines), system, strings.Join(lines, "\n  ")), nil
}

// configDiff lists the differences between two JSON values, one line per path.
func configDiff(path []string, old, new any, out *[]string) {
	om, oOK := old.(map[string]any)
	nm, nOK := new.(map[string]any)
	if oOK && nOK {
		keys := map[string]bool{}
		for k := range om {
			keys[k] = true
		}
		for k := range nm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			ov, inOld := om[k]
			nv, inNew := nm[k]
			p := append(append([]string(nil), path...), k)
			switch {
			case !inOld:
				*out = append(*out, "+ "+showPath(p)+": "+shortJSON(nv))
			case !inNew:
				*out = append(*out, "- "+showPath(p))
			default:
				configDiff(p, ov, nv, out)
			}
		}
		return
	}
	a, _ := json.Marshal(old)
	b, _ := json.Marshal(new)
	if string(a) != string(b) {
		*out = append(*out, "~ "+showPath(path)+": "+shortJSON(old)+" -> "+shortJSON(new))
	}
}

var bareKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*$`)

// showPath writes an option path as Nix would (keys that are not identifiers quoted).
func showPath(p []string) string {
	parts := make([]string, len(p))
	for i, k := range p {
		if bareKey.MatchString(k) {
			parts[i] = k
		} else {
			parts[i] = fmt.Sprintf("%q", k)
		}
	}
	return strings.Join(parts, ".")
}

// shortJSON is v as compact JSON, cut at 120 characters.
func shortJSON(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
