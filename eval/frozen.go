package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// FrozenPlan is a plan fixed at build time by `nix-build deploy.nix` (front door 1): the
// deployment's plan, the nodes the script deploys and their built systems. Deploying it
// evaluates and builds nothing.
type FrozenPlan struct {
	File    string
	Network *Network
	// Nodes are the nodes the script deploys (all its enabled nodes, or the one node of
	// `nix-build -A nodes.NAME`), sorted.
	Nodes []string
	// Systems maps each of Nodes to its system's store path, built with the script.
	Systems map[string]string
}

// frozenJSON is what modules/deploy.nix writes: the plan with a `frozen` member.
type frozenJSON struct {
	Frozen *struct {
		Nodes   []string          `json:"nodes"`
		Systems map[string]string `json:"systems"`
	} `json:"frozen"`
}

// ReadFrozenPlan reads and checks a frozen plan: every system it names must be in the
// local store (the script's closure holds them).
func ReadFrozenPlan(file string) (*FrozenPlan, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the frozen plan: %w", err)
	}
	network, err := DecodePlan(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var fj frozenJSON
	if err := json.Unmarshal(b, &fj); err != nil || fj.Frozen == nil {
		return nil, fmt.Errorf("%s is a plan, but not one frozen by nix-build (no `frozen' member)", file)
	}
	fp := &FrozenPlan{File: file, Network: network, Nodes: fj.Frozen.Nodes, Systems: fj.Frozen.Systems}
	sort.Strings(fp.Nodes)
	for _, n := range fp.Nodes {
		if network.Nodes[n] == nil {
			return nil, fmt.Errorf("%s: frozen node %s is not in the plan", file, n)
		}
		sys := fp.Systems[n]
		if sys == "" {
			return nil, fmt.Errorf("%s: no system for node %s", file, n)
		}
		if _, err := os.Stat(sys); err != nil {
			return nil, fmt.Errorf("%s: the system of node %s, %s, is not in the store (build the script again)", file, n, sys)
		}
	}
	return fp, nil
}

// Select applies node selectors (names, @tags, globs) to the frozen nodes: no selector
// means all of them; a selector that matches nothing the script deploys is an error.
func (fp *FrozenPlan) Select(selectors []string) ([]string, error) {
	if len(selectors) == 0 {
		return fp.Nodes, nil
	}
	frozen := &Network{Version: fp.Network.Version, Nodes: map[string]*Node{}, Network: fp.Network.Network}
	for _, n := range fp.Nodes {
		frozen.Nodes[n] = fp.Network.Nodes[n]
	}
	return Select(frozen, selectors)
}
