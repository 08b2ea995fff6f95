package deploy

import (
	"fmt"

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
		HealthChecks:               n.HealthChecks,
		IgnoreFailingSystemdUnits:  n.IgnoreFailingSystemdUnits,
		SubstituteOnTarget:         n.SubstituteOnTarget,
		RebootIfUnreachable:        n.RebootIfUnreachable,
		Platform:                   n.Platform,
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
