package deploy

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/nixmesh/nixmesh/eval"
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
		Toplevel:                   toplevel,
	}
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
