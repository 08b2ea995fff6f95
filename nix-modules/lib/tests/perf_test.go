package libtests

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestPerformance500Nodes evaluates perf/network.nix (500 nodes, each a submodule with a
// nested host evaluation) strictly and checks both the result and the time it takes.
func TestPerformance500Nodes(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	if testing.Short() {
		t.Skip("-short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "nix-instantiate", "--eval", "--strict", "--json",
		filepath.Join(msTestsDir(), "perf", "network.nix"), "--arg", "count", "500")
	out, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("evaluation failed: %v\n%s", err, stderr)
	}
	var nodes map[string]struct {
		Host   string   `json:"host"`
		Tags   []string `json:"tags"`
		Config struct {
			O5         string `json:"o5"`
			Networking struct {
				HostName string `json:"hostName"`
			} `json:"networking"`
			Peers []string `json:"peers"`
			Users struct {
				Users map[string]struct {
					Keys []string `json:"keys"`
				} `json:"users"`
			} `json:"users"`
		} `json:"config"`
	}
	if err := json.Unmarshal(out, &nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 500 {
		t.Fatalf("got %d nodes, want 500", len(nodes))
	}
	n := nodes["node321"]
	if n.Host != "root@10.0.1.71" || n.Config.Networking.HostName != "node321" || n.Config.O5 != "enabled" {
		t.Errorf("node321 evaluated wrongly: %+v", n)
	}
	if got := n.Config.Users.Users["deploy"].Keys; len(got) != 1 || got[0] != "k-321" {
		t.Errorf("cross-host definition lost: deploy keys %v", got)
	}
	if len(n.Config.Peers) != 1 || n.Config.Peers[0] != "root@10.0.0.0" {
		t.Errorf("peers %v", n.Config.Peers)
	}
	t.Logf("500 nodes evaluated in %v", elapsed)
	if elapsed > 5*time.Second {
		t.Errorf("whole-network evaluation of 500 nodes took %v, want well under 5s", elapsed)
	}
}
