package nixmodulestests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
			return k == "files" || k == "serverFiles" || k == "where"
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

// Per-node nixpkgs: two hosts of one deployment on different "releases" (two stand-in
// nixpkgs with different real libs, the newer with an option the older lacks), each
// evaluated with its own; a third node without one is a standalone host (the deployment
// gives no nixpkgs). The option only the newer release has is an error on the older.
func TestPerNodeNixpkgs(t *testing.T) {
	libs := testutil.NixpkgsLibs(t)
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	older := testutil.StandInNixpkgs(t, libs[0])
	newer := newerStandIn(t, libs[len(libs)-1])
	deployment := func(oldNodeSetsNewOption bool) string {
		extra := ""
		if oldNodeSetsNewOption {
			extra = "services.newThing.enable = true;"
		}
		return `import ` + testutil.NixModules() + ` { } {
		  nodes.old = { host = "root@198.18.9.1"; nixpkgs = ` + older + `; configuration = { networking.hostName = "old"; ` + extra + ` }; };
		  nodes.new = { host = "root@198.18.9.2"; nixpkgs = ` + newer + `; configuration = { networking.hostName = "new"; services.newThing.enable = true; }; };
		  nodes.plain = { host = "root@198.18.9.3"; configuration.networking.hostName = "plain"; };
		}`
	}
	var kinds map[string]string
	mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-E", `builtins.mapAttrs (_: n: n.kind) (` + deployment(false) + `).plan.nodes`}, &kinds)
	if kinds["old"] != "nixos" || kinds["new"] != "nixos" || kinds["plain"] != "standalone" {
		t.Errorf("kinds %v, want old and new nixos, plain standalone", kinds)
	}
	var enabled bool
	mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-E", `(` + deployment(false) + `).config.nodes.new.config.services.newThing.enable`}, &enabled)
	if !enabled {
		t.Error("the newer release's option is not set on its node")
	}
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E", `(`+deployment(true)+`).plan`).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "services.newThing") {
		t.Errorf("the older release accepted an option it does not have: %v\n%s", err, out)
	}
}

// newerStandIn is a stand-in nixpkgs like StandInNixpkgs, whose NixOS has one more
// option (services.newThing.enable), as a newer release would.
func newerStandIn(t *testing.T, libDir string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(libDir, filepath.Join(dir, "lib")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-r", filepath.Join(testutil.NixModules(), "tests", "fake-nixpkgs", "nixos"), dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	mod := `{ lib, ... }: { options.services.newThing.enable = lib.mkOption { type = lib.types.bool; default = false; description = "A service only this release has."; }; }` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "nixos", "modules", "newthing.nix"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "nixos", "lib", "eval-config.nix")
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	patched := strings.Replace(string(src), "../modules/base.nix", "../modules/base.nix\n    ../modules/newthing.nix", 1)
	if patched == string(src) {
		t.Fatal("the stand-in's eval-config.nix no longer lists ../modules/base.nix")
	}
	if err := os.WriteFile(cfg, []byte(patched), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A NixOS system records the configuration nixmesh shows for it (nixmesh-config.json),
// exactly the plan's, so that `nixmesh diff` compares NixOS hosts too.
func TestNixOSSystemRecordsItsConfiguration(t *testing.T) {
	libs := testutil.NixpkgsLibs(t)
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	nixpkgs := testutil.StandInNixpkgs(t, libs[len(libs)-1])
	file := filepath.Join(Dir(), "good", "nixos-kind.nix")
	var want any
	mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-A", "plan.nodes.alpha.configuration", "--arg", "nixpkgs", nixpkgs, file}, &want)
	out, err := exec.Command("nix-build", "--no-out-link", "-A", "systems.alpha", "--arg", "nixpkgs", nixpkgs, file).Output()
	if err != nil {
		t.Fatalf("building alpha's stand-in NixOS system: %v", err)
	}
	recorded, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "nixmesh-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(recorded, &got); err != nil {
		t.Fatalf("nixmesh-config.json: %v\n%s", err, recorded)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the system records another configuration than the plan shows (-plan +recorded):\n%s", d)
	}
}

// Nixus's record shapes ({ address; } for A/AAAA, { domain; } for CNAME/NS, { text; }
// for TXT, a bare MX host at preference 10 or { preference; domain; }, a bare CAA issuer
// or { tag; value; flags.issuerCritical; }) and its SOA options (soa.serial, soa.ttl,
// name) render exactly the zone of nixmesh's own forms.
func TestNixusDNSShapesAreTheSameZone(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	nodes := `nodes.db.host = "root@198.18.9.3";`
	ours := `{ ... }: { ` + nodes + `
	  dns.zones."lab.test" = { primaryNode = "db"; soa.master = "db.lab.test."; serial = 7; };
	  dns.records."web.lab.test." = { A = "198.18.0.12"; AAAA = "fd00::12"; TXT = "hi"; };
	  dns.records."www.lab.test.".CNAME = "web.lab.test.";
	  dns.records."lab.test." = {
	    NS = "db.lab.test.";
	    MX = [ "10 mail.lab.test." "20 mx2.lab.test." ];
	    CAA = [ "0 issue \"letsencrypt.org\"" "128 issuewild \"x.org\"" ];
	  };
	}`
	nixus := `{ ... }: { ` + nodes + `
	  dns.zones."lab.test" = { name = "lab.test"; primaryNode = "db"; soa.master = "db.lab.test."; soa.serial = 7; };
	  dns.records."web.lab.test." = { A = { address = "198.18.0.12"; }; AAAA = [ { address = "fd00::12"; } ]; TXT = { text = "hi"; }; };
	  dns.records."www.lab.test.".CNAME = { domain = "web.lab.test."; };
	  dns.records."lab.test." = {
	    NS = { domain = "db.lab.test."; };
	    MX = [ "mail.lab.test." { domain = "mx2.lab.test."; preference = 20; } ];
	    CAA = [ "letsencrypt.org" { tag = "issuewild"; value = "x.org"; flags.issuerCritical = true; } ];
	  };
	}`
	zone := func(module string) string {
		expr := `(import ` + testutil.NixModules() + ` { } (` + module + `)).config.dns.rendered."lab.test".data`
		var s string
		mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-E", expr}, &s)
		return s
	}
	a, b := zone(ours), zone(nixus)
	if a != b {
		t.Errorf("the Nixus shapes give another zone:\n%s", cmp.Diff(a, b))
	}
	for _, want := range []string{"lab.test. IN MX 10 mail.lab.test.", "lab.test. IN CAA 128 issuewild \"x.org\"", " 7 3600 900 "} {
		if !strings.Contains(b, want) {
			t.Errorf("zone lacks %q:\n%s", want, b)
		}
	}
	// soa.ttl is the SOA record's own TTL.
	withTTL := zone(strings.Replace(nixus, "soa.serial = 7;", "soa.serial = 7; soa.ttl = 60;", 1))
	if !strings.Contains(withTTL, "@ 60 IN SOA db.lab.test.") {
		t.Errorf("soa.ttl not in the SOA line:\n%s", withTTL)
	}
}
