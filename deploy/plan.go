package deploy

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/secrets"
)

// NewTarget makes the deploy target of a plan node whose system was built at toplevel.
func NewTarget(n *eval.Node, toplevel string) Target {
	return Target{
		Name:                       n.Name,
		User:                       n.User,
		Hostname:                   n.Hostname,
		Port:                       n.Port,
		SSHOptions:                 n.SSHOptions,
		PrivilegeEscalationCommand: n.PrivilegeEscalationCommand,
		SuccessTimeout:             n.SuccessTimeout,
		SwitchTimeout:              n.SwitchTimeout,
		KeepGenerations:            n.KeepGenerations,
		Toplevel:                   toplevel,
	}
}

// Targets makes the deploy targets of the named plan nodes, in that order, with their
// secrets: toplevels maps a node to its built system; a node without one is skipped
// ("its system did not build").
func Targets(network *eval.Network, names []string, toplevels map[string]string) ([]Target, error) {
	all, err := secrets.FromNetwork(network)
	if err != nil {
		return nil, err
	}
	targets := make([]Target, len(names))
	for i, name := range names {
		n, ok := network.Nodes[name]
		if !ok {
			return nil, fmt.Errorf("node %s is not in the plan", name)
		}
		t := NewTarget(n, toplevels[name])
		if t.Toplevel == "" {
			t.SkipReason = "its system did not build"
		}
		t.Secrets = all[name]
		if len(t.Secrets) > 0 {
			if t.SecretsHost, err = secrets.HostOf(n); err != nil {
				return nil, err
			}
		}
		targets[i] = t
	}
	return targets, nil
}

// DeclaredHostKeys reads the host keys the cross-host SSH module declares, from the
// plan's network.ssh value: { "<node>": { "hostKeys": [ "ssh-ed25519 AAAA..." ] } }
// (hostKeys may also be an attribute set of name → key). Entries of another shape are
// ignored; a missing or null value gives no keys.
func DeclaredHostKeys(network map[string]json.RawMessage) (map[string][]string, error) {
	raw, ok := network["ssh"]
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var hosts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &hosts); err != nil {
		return nil, fmt.Errorf("plan.network.ssh: %w", err)
	}
	keys := map[string][]string{}
	for name, v := range hosts {
		var entry struct {
			HostKeys json.RawMessage `json:"hostKeys"`
		}
		if json.Unmarshal(v, &entry) != nil || len(entry.HostKeys) == 0 {
			continue
		}
		var list []string
		if json.Unmarshal(entry.HostKeys, &list) != nil {
			var named map[string]string
			if err := json.Unmarshal(entry.HostKeys, &named); err != nil {
				return nil, fmt.Errorf("plan.network.ssh.%s.hostKeys: want a list of keys or an attribute set of keys", name)
			}
			names := make([]string, 0, len(named))
			for k := range named {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				list = append(list, named[k])
			}
		}
		if len(list) > 0 {
			keys[name] = list
		}
	}
	return keys, nil
}
