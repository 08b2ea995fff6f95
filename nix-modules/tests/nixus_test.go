package nixmodulestests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// Nixus's way to write a star (server = { node; subnetIp; wireguard; port; } and
// clients.<node>) gives exactly the plan of the members + server = "name" form: every
// host's configuration and the network as the engine sees it.
func TestNixusStarIsTheSameStar(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	k := func(c string) string { return c + strings.Repeat("A", 42) + "=" }
	nodes := `
	  nodes.hub = { host = "root@198.18.9.1"; configuration.networking.hostName = "hub"; };
	  nodes.a = { host = "root@198.18.9.2"; configuration.networking.hostName = "a"; };
	  nodes.b = { host = "root@198.18.9.3"; configuration.networking.hostName = "b"; };`
	ours := `{ ... }: {` + nodes + `
	  vpn.networks.net1 = {
	    subnet = "10.9.0.0/24";
	    topology = "star";
	    server = "hub";
	    members.hub = { address = "10.9.0.1"; publicKey = "` + k("h") + `"; privateKeyFile = "/etc/wg/hub.key"; listenPort = 51900; };
	    members.a = { address = "10.9.0.2"; publicKey = "` + k("a") + `"; privateKeyFile = "/etc/wg/a.key"; };
	    members.b = { address = "10.9.0.3"; publicKey = "` + k("b") + `"; };
	  };
	}`
	nixus := `{ ... }: {` + nodes + `
	  vpn.networks.net1 = {
	    backend = "wireguard";
	    subnet = "10.9.0.0/24";
	    server = { node = "hub"; subnetIp = "10.9.0.1"; port = 51900; wireguard.publicKey = "` + k("h") + `"; wireguard.privateKeyFile = "/etc/wg/hub.key"; };
	    clients.a = { subnetIp = "10.9.0.2"; wireguard.publicKey = "` + k("a") + `"; wireguard.privateKeyFile = "/etc/wg/a.key"; };
	    clients.b = { subnetIp = "10.9.0.3"; wireguard.publicKey = "` + k("b") + `"; };
	  };
	}`
	plan := func(module string) map[string]any {
		expr := `let d = import ` + testutil.NixModules() + ` { } (` + module + `); in { inherit (d.plan) nodes; vpn = d.plan.network.vpn; }`
		var p map[string]any
		mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-E", expr}, &p)
		return p
	}
	a, b := plan(ours), plan(nixus)
	// Where the network was declared differs, by nature; nothing else may.
	dropFiles := cmp.FilterPath(func(p cmp.Path) bool {
		if mi, ok := p.Last().(cmp.MapIndex); ok {
			k := mi.Key().String()
			return k == "files" || k == "serverFiles"
		}
		return false
	}, cmp.Ignore())
	if d := cmp.Diff(a, b, dropFiles); d != "" {
		t.Errorf("the Nixus form gives another plan (-ours +nixus):\n%s", d)
	}
	hub := a["nodes"].(map[string]any)["hub"].(map[string]any)
	wg, _ := json.Marshal(hub["configuration"].(map[string]any)["networking"].(map[string]any)["wireguard"])
	if len(wg) < 50 {
		t.Errorf("the hub has no WireGuard interface; the comparison proves little: %s", wg)
	}
}
