package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/verify"
)

type verifyOptions struct {
	global     *globalOptions
	Selectors  []string
	NixArgs    []string
	JSON       bool
	Identities []string
	KnownHosts []string
}

// verifyFailedError: some declared edge does not work (exit 1).
type verifyFailedError struct{ failed int }

func (e *verifyFailedError) Error() string {
	return fmt.Sprintf("%d declared edge(s) do not work on the running fleet", e.failed)
}

func newVerifyCommand(g *globalOptions) *cobra.Command {
	opts := verifyOptions{global: g}
	cmd := &cobra.Command{
		Use:   "verify [NODE|@TAG|GLOB...] [-- NIX-ARGS...]",
		Short: "Prove the declared SSH access, VPNs and DNS on the running fleet",
		Long: `Probe every declared cross-host edge on the running hosts, changing nothing. The
probes run on the hosts themselves, over the deploy engine's SSH transport (as root,
through privilegeEscalationCommand where needed):

  ssh  per grant (a key of host S may log in as U on T): T presents a host key that
       S's known hosts hold for it (ssh-keyscan and ssh-keygen -F, on S), and sshd on
       T reads the key from one of U's authorized keys files
  vpn  per direct peering of a WireGuard network: each side pings the other's VPN
       address and has a handshake with the other's public key
  dns  per record: every server of its zone (primary and secondaries) answers it with
       the declared data, asked from the primary with dig; per zone: every server
       answers the SOA with the declared serial

With nodes selected, only the edges with an end among them are probed. The result is a
table (feature, edge, result, evidence), or with --json one object per edge.

Exit codes: 0 every edge works, 1 some edge does not, 2 usage error, 3 evaluation
error.`,
		Example: `  nixmesh verify                 every declared edge
  nixmesh verify web             the edges that involve web
  nixmesh verify --json | jq 'map(select(.ok | not))'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			return runVerify(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.JSON, "json", false, "print the results as a JSON array")
	sshFileFlags(f, &opts.Identities, &opts.KnownHosts)
	return cmd
}

func runVerify(ctx context.Context, opts verifyOptions, out io.Writer) error {
	network, names, err := opts.global.connectionsAndSelect(ctx, opts.NixArgs, opts.Selectors)
	if err != nil {
		return err
	}
	model, err := crossmodules.Decode(network)
	if err != nil {
		return err
	}
	sshOpts, err := sshOptionsFor(network, opts.Identities, opts.KnownHosts)
	if err != nil {
		return err
	}
	var only []string
	if len(opts.Selectors) > 0 {
		only = names
	}

	// One session per host, opened on first use and shared by its probes.
	var mu sync.Mutex
	sessions := map[string]*deploy.Session{}
	opening := map[string]*sync.Once{}
	errs := map[string]error{}
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	session := func(ctx context.Context, node string) (*deploy.Session, error) {
		mu.Lock()
		once := opening[node]
		if once == nil {
			once = &sync.Once{}
			opening[node] = once
		}
		mu.Unlock()
		once.Do(func() {
			n, ok := network.Nodes[node]
			var s *deploy.Session
			var err error
			if !ok {
				err = fmt.Errorf("%s is not a node", node)
			} else {
				s, err = deploy.Open(ctx, sshOpts, deploy.NewTarget(n, ""))
			}
			mu.Lock()
			sessions[node], errs[node] = s, err
			mu.Unlock()
		})
		mu.Lock()
		defer mu.Unlock()
		return sessions[node], errs[node]
	}
	run := func(ctx context.Context, node, script string, args ...string) (string, error) {
		s, err := session(ctx, node)
		if err != nil {
			return "", err
		}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		var buf strings.Builder
		code, err := s.Exec(ctx, deploy.Command{Argv: append([]string{"sh", "-c", script, "nixmesh-verify"}, args...), AsRoot: true, Stdout: &buf, Stderr: &buf})
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		return buf.String(), err
	}
	results := verify.Verify(ctx, model, run, verify.Options{Nodes: only})
	if ctx.Err() != nil {
		return &interruptedError{err: ctx.Err()}
	}

	failed := 0
	for _, r := range results {
		if !r.OK {
			failed++
		}
	}
	if opts.JSON {
		if results == nil {
			results = []verify.Result{}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FEATURE\tEDGE\tRESULT\tEVIDENCE")
		for _, r := range results {
			res := "ok"
			if !r.OK {
				res = "FAILED"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Feature, r.Edge, res, r.Evidence)
		}
		tw.Flush()
		if len(results) == 0 {
			fmt.Fprintln(out, "nothing to verify: no SSH grant, WireGuard network or DNS zone involves the selected nodes")
		}
	}
	if failed > 0 {
		return &verifyFailedError{failed: failed}
	}
	return nil
}
