package main

import (
	"context"
	"sort"

	"golang.org/x/crypto/ssh"

	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/secrets"
)

// remotes opens SSH sessions to nodes on demand, through the deploy engine's transport
// (the same ssh_config, agent, known_hosts, declared host keys and sudo rule as `nixmesh
// deploy`), and closes them all at the end.
type remotes struct {
	ssh  deploy.SSHOptions
	open []*deploy.Session
}

func (r *remotes) node(ctx context.Context, n *eval.Node) (secrets.Remote, error) {
	s, err := deploy.Open(ctx, r.ssh, deploy.NewTarget(n, ""))
	if err != nil {
		return nil, err
	}
	r.open = append(r.open, s)
	return s, nil
}

func (r *remotes) close() {
	for _, s := range r.open {
		s.Close()
	}
	r.open = nil
}

// declaredFromInventory turns ssh.access.<node>.hostKeys as `keys` reads them into the
// declared host keys of deploy.SSHOptions.
func declaredFromInventory(inv *secrets.Inventory) map[string][]string {
	out := map[string][]string{}
	for node, keys := range inv.HostKeys {
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			out[node] = append(out[node], keys[k])
		}
	}
	return out
}

// scanVia reads the host keys of the inventory's nodes through the deploy engine's
// transport (ssh_config HostName, Port, ProxyJump and the nodes' sshOptions apply) and
// has them judged by its trust policy.
func scanVia(inv *secrets.Inventory, o deploy.SSHOptions) func(ctx context.Context, node string, algorithms []string, vouched map[string]string) (ssh.PublicKey, string, string, error) {
	return func(ctx context.Context, node string, algorithms []string, vouched map[string]string) (ssh.PublicKey, string, string, error) {
		n, err := inv.Nodes[node].Node(node)
		if err != nil {
			return nil, node, "", err
		}
		var vk []deploy.VouchedKey
		for source, line := range vouched {
			vk = append(vk, deploy.VouchedKey{Line: line, Source: source})
		}
		sort.Slice(vk, func(i, j int) bool { return vk[i].Source < vk[j].Source })
		scan, err := deploy.ScanHostKey(ctx, o, deploy.NewTarget(n, ""), algorithms, vk)
		return scan.Key, scan.Addr, scan.VouchedBy, err
	}
}
