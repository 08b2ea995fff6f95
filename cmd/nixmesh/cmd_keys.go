package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/secrets"
)

const keysLong = `Collect public keys into Nix files that the deployment imports, so that no key has to
be copied by hand. Both commands read the deployment's config (not its plan, so they
work while keys are still missing), keep the entries already in the output file, and
change nothing when run again.

  keys wireguard   make the missing WireGuard keys and collect their public halves
  keys ssh         collect the hosts' SSH host keys, checked against what you trust`

type keysWireguardOptions struct {
	global   *globalOptions
	Networks []string
	NixArgs  []string
	Output   string
	Local    bool
	Store    string
	Remote   func(node string) (secrets.Remote, error) // tests
}

type keysSSHOptions struct {
	global     *globalOptions
	Selectors  []string
	NixArgs    []string
	Output     string
	AcceptNew  bool
	KnownHosts []string
	NoDefaults bool
	Types      []string
}

func newKeysCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Generate WireGuard keys and collect public keys into Nix files",
		Long:  keysLong,
		Example: `  nixmesh keys wireguard                 # make missing WireGuard keys on the hosts
  nixmesh keys ssh --accept-new          # collect host keys (check them out of band)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	for _, c := range []*cobra.Command{newKeysWireguardCommand(g), newKeysSSHCommand(g)} {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
		cmd.AddCommand(c)
	}
	return cmd
}

func newKeysWireguardCommand(g *globalOptions) *cobra.Command {
	opts := keysWireguardOptions{global: g}
	cmd := &cobra.Command{
		Use:   "wireguard [NET...] [-o FILE] [--local --store CMD] [-- NIX-ARGS...]",
		Short: "Make missing WireGuard keys and write their public keys to a Nix file",
		Long: `For every member of the WireGuard networks (or of NET...) that has no public key, in
the deployment or in the output file, make a key pair and record the public key in the
output file (default: wireguard-keys.nix beside the deployment), as
  { <net> = { <node> = "<public key>"; }; }

By default the private key is made ON THE HOST, over SSH as root: 'wg genkey' writes the
member's privateKeyFile under umask 077 only if no file is there (an existing key is
never overwritten, only read with 'wg pubkey'). The private key never leaves the host.

With --local, 'wg genkey' runs here instead and the private key is handed on stdin to
--store, a command run without a shell in which {net} and {node} are replaced; deliver
it later with a secret (nodes.<node>.secrets.<name>.command reading it back, path =
the member's privateKeyFile). The private key is never written to disk here.

Use the file in the deployment, e.g.
  vpn.networks.backbone.members.web.publicKey = (import ./wireguard-keys.nix).backbone.web;`,
		Example: `  nixmesh keys wireguard
  nixmesh keys wireguard backbone -o keys/wg.nix
  nixmesh keys wireguard --local --store 'pass insert -m wg/{net}/{node}'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Networks, opts.NixArgs = splitArgs(cmd, args)
			return runKeysWireguard(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Output, "output", "o", "", "the Nix `FILE` to write (default: wireguard-keys.nix beside the deployment)")
	f.BoolVar(&opts.Local, "local", false, "generate the keys here and hand the private keys to --store")
	f.BoolVar(&opts.Local, "local-command", false, "the same as --local")
	_ = f.MarkHidden("local-command")
	f.StringVar(&opts.Store, "store", "", "with --local: the `COMMAND` that stores a private key read on stdin ({net}, {node} replaced)")
	return cmd
}

func runKeysWireguard(ctx context.Context, opts keysWireguardOptions, out io.Writer) error {
	var store []string
	switch {
	case opts.Local && opts.Store == "":
		return usageErrorf("--local needs --store COMMAND: where the private keys go (e.g. --store 'pass insert -m wg/{net}/{node}')")
	case !opts.Local && opts.Store != "":
		return usageErrorf("--store is only used with --local")
	case opts.Local:
		var err error
		if store, err = secrets.SplitCommand(opts.Store); err != nil {
			return usageErrorf("--store: %v", err)
		}
	}
	ev, err := opts.global.evaluator(opts.NixArgs)
	if err != nil {
		return err
	}
	output := opts.Output
	if output == "" {
		output = filepath.Join(opts.global.deploymentDir(ev), "wireguard-keys.nix")
	}
	inv, err := secrets.LoadInventory(ctx, ev.File, opts.NixArgs, ev.Env)
	if err != nil {
		return err
	}
	existing, err := secrets.ReadKeyFile(ctx, output, ev.Env)
	if err != nil {
		return err
	}
	remote := opts.Remote
	if remote == nil {
		hosts := &remotes{ssh: deploy.SSHOptions{DeclaredHostKeys: declaredFromInventory(inv)}}
		defer hosts.close()
		remote = func(name string) (secrets.Remote, error) {
			n, err := inv.Nodes[name].Node(name)
			if err != nil {
				return nil, err
			}
			return hosts.node(ctx, n)
		}
	}
	keys, collectErr := secrets.CollectWireGuard(ctx, secrets.WireGuardOptions{
		Inventory: inv,
		Networks:  opts.Networks,
		Existing:  existing,
		Remote:    remote,
		Store:     store,
		Log:       func(s string) { fmt.Fprintln(out, s) },
	})
	if errors.Is(collectErr, secrets.ErrNoNetwork) {
		return usageErrorf("%v", collectErr)
	}
	if collectErr != nil && keys == nil {
		return collectErr
	}
	wrote, err := secrets.WriteWireGuardKeys(output, keys)
	if err != nil {
		return errors.Join(collectErr, err)
	}
	reportWrite(out, output, wrote)
	return collectErr
}

func newKeysSSHCommand(g *globalOptions) *cobra.Command {
	opts := keysSSHOptions{global: g}
	cmd := &cobra.Command{
		Use:   "ssh [NODE|@TAG|GLOB...] [-o FILE] [--accept-new] [-- NIX-ARGS...]",
		Short: "Collect the hosts' SSH host keys into a Nix file",
		Long: `Connect to each selected node (default: every enabled node) like ssh-keyscan, read the
host key it offers, and write the keys to the output file (default: ssh-host-keys.nix
beside the deployment), as
  { <node> = { ed25519 = "ssh-ed25519 AAAA..."; }; }
for ssh.access.<node>.hostKeys = (import ./ssh-host-keys.nix).<node>;

A key is written only when something you already trust vouches for it: ~/.ssh/known_hosts
and /etc/ssh/ssh_known_hosts (plus --known-hosts), the deployment's
ssh.access.<node>.hostKeys, or the output file itself. A key nothing vouches for is
written only with --accept-new (check it out of band first); a key that differs from a
trusted one of the same type is an error, always.`,
		Example: `  nixmesh keys ssh
  nixmesh keys ssh web db --known-hosts ./lab_known_hosts
  nixmesh keys ssh --accept-new --type ed25519,rsa`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Selectors, opts.NixArgs = splitArgs(cmd, args)
			return runKeysSSH(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Output, "output", "o", "", "the Nix `FILE` to write (default: ssh-host-keys.nix beside the deployment)")
	f.BoolVar(&opts.AcceptNew, "accept-new", false, "also write keys that nothing trusted vouches for (never a mismatching one)")
	f.StringArrayVar(&opts.KnownHosts, "known-hosts", nil, "another known_hosts `FILE` to trust (repeatable)")
	f.BoolVar(&opts.NoDefaults, "no-default-known-hosts", false, "do not trust ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts")
	f.StringSliceVar(&opts.Types, "type", []string{"ed25519"}, "host key `TYPES` to collect: ed25519, ecdsa, rsa")
	return cmd
}

func runKeysSSH(ctx context.Context, opts keysSSHOptions, out io.Writer) error {
	ev, err := opts.global.evaluator(opts.NixArgs)
	if err != nil {
		return err
	}
	for _, t := range opts.Types {
		if _, ok := secrets.HostKeyTypes[t]; !ok {
			return usageErrorf("--type %q: want ed25519, ecdsa or rsa", t)
		}
	}
	output := opts.Output
	if output == "" {
		output = filepath.Join(opts.global.deploymentDir(ev), "ssh-host-keys.nix")
	}
	inv, err := secrets.LoadInventory(ctx, ev.File, opts.NixArgs, ev.Env)
	if err != nil {
		return err
	}
	nodes, err := inv.Select(opts.Selectors)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return usageErrorf("no node selected (nodes: %s)", strings.Join(inv.Names(), ", "))
	}
	existing, err := secrets.ReadKeyFile(ctx, output, ev.Env)
	if err != nil {
		return err
	}
	keys, collectErr := secrets.CollectSSHHostKeys(ctx, secrets.SSHKeyOptions{
		Inventory: inv,
		Scan: scanVia(inv, deploy.SSHOptions{
			ExtraKnownHostsFiles: opts.KnownHosts,
			NoDefaultKnownHosts:  opts.NoDefaults,
			DeclaredHostKeys:     declaredFromInventory(inv),
		}),
		Nodes:        nodes,
		Types:        opts.Types,
		Existing:     existing,
		ExistingName: output,
		AcceptNew:    opts.AcceptNew,
		Log:          func(s string) { fmt.Fprintln(out, s) },
	})
	if collectErr != nil && keys == nil {
		return collectErr
	}
	wrote, err := secrets.WriteSSHHostKeys(output, keys)
	if err != nil {
		return errors.Join(collectErr, err)
	}
	reportWrite(out, output, wrote)
	return collectErr
}

func reportWrite(out io.Writer, file string, wrote bool) {
	switch _, err := os.Stat(file); {
	case wrote:
		fmt.Fprintf(out, "wrote %s\n", file)
	case err != nil:
		fmt.Fprintf(out, "no keys to write (%s not created)\n", file)
	default:
		fmt.Fprintf(out, "%s unchanged\n", file)
	}
}
