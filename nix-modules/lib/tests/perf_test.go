package libtests

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestLargeNetwork500Nodes evaluates perf/network.nix (500 nodes, each a submodule with a
// nested host evaluation) strictly and checks the result. How long it takes is measured by
// BenchmarkLargeNetwork, never asserted here.
func TestLargeNetwork500Nodes(t *testing.T) {
	out := msEvalPerfNetwork(t, 500)
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
}

// msEvalPerfNetwork evaluates perf/network.nix with count nodes and returns its JSON.
func msEvalPerfNetwork(t testing.TB, count int) []byte {
	t.Helper()
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nix-instantiate", "--eval", "--strict", "--json",
		filepath.Join(msTestsDir(), "perf", "network.nix"), "--arg", "count", strconv.Itoa(count))
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("evaluation failed: %v\n%s", err, stderr)
	}
	return out
}

// BenchmarkLargeNetwork reports the module system's cost per node for growing networks;
// the aim is well under 5 s for 500 nodes and no worse than linear growth.
func BenchmarkLargeNetwork(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				msEvalPerfNetwork(b, n)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*n), "ms/node")
		})
	}
}
