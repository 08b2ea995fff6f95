package modulestests

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestCustomModuleExample keeps examples/custom-module (a user's own cross-host module,
// shown in the README) working: the server lists every exporter, each exporter opens its
// port, and a typo is reported with the option path.
func TestCustomModuleExample(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(testutil.RepoRoot(), "examples", "custom-module", "deploy.nix")
	plan := planOf(t, file)
	etc := plan.Nodes["gateway"].Configuration.Environment.Etc["monitoring/targets"]
	if etc.Text == nil || *etc.Text != "db 198.18.0.13:9187\nweb 198.18.0.12:9100\n" {
		t.Errorf("gateway's /etc/monitoring/targets: %v", etc.Text)
	}
	for node, port := range map[string]int{"web": 9100, "db": 9187} {
		if got := plan.Nodes[node].Configuration.Networking.Firewall.AllowedTCPPorts; len(got) != 1 || got[0] != port {
			t.Errorf("%s opens %v, want [%d]", node, got, port)
		}
	}
	if got := plan.Nodes["gateway"].Configuration.Networking.Firewall.AllowedTCPPorts; len(got) != 0 {
		t.Errorf("gateway opens %v, want nothing", got)
	}
	_, stderr, err := nixEval("-A", "plan", testdata("custom-module-typo.nix"))
	if err == nil || !strings.Contains(stderr, "`monitoring.exporters.wbe' names no node") {
		t.Errorf("a typo in exporters: err %v, stderr:\n%s", err, stderr)
	}
}
