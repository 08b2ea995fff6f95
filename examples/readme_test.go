package examples

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// readmeDeployment writes the README's worked example (the ```nix block that starts with
// "# deploy.nix") into dir, importing this checkout's nix-modules, with the files it
// refers to. It returns the deployment's path.
func readmeDeployment(t *testing.T, dir string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nix\n# deploy.nix\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```nix block starting with \"# deploy.nix\"")
	}
	code := string(m[1])
	if !strings.HasPrefix(code, "import ./nix-modules { } ") {
		t.Fatalf("the README example no longer starts with `import ./nix-modules { }`:\n%s", code)
	}
	// Only the framework's location differs from a user's checkout.
	code = "import " + testutil.NixModules() + strings.TrimPrefix(code, "import ./nix-modules")
	file := filepath.Join(dir, "deploy.nix")
	for name, text := range map[string]string{
		"deploy.nix":  code,
		"gateway.nix": "{ ... }: { environment.etc.motd.text = \"gateway\\n\"; }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return file
}

// TestReadmeExample keeps the README's worked example true: it evaluates, and each
// declaration has the effect the README's comments claim.
func TestReadmeExample(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	dir := t.TempDir()
	file := readmeDeployment(t, dir)

	// Before `nixmesh keys wireguard` has run, the missing public keys are named.
	cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-A", "plan", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "vpn.networks.backbone.members.") ||
		!strings.Contains(stderr.String(), "nixmesh keys wireguard") {
		t.Fatalf("without wireguard-keys.nix: err %v, stderr:\n%s", err, stderr.String())
	}

	// The file `nixmesh keys wireguard` writes.
	keys := `{ backbone = {
  gateway = "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=";
  web = "M25VxT4pEsxaH3Vj+fAv9ZbEHLp+7sX4KoA7Ujb+jDY=";
  db = "g3XXCa1NSbVLtEbR2HbXpPWbg1S6P1x0cWCGBN7Wf00=";
}; }
`
	if err := os.WriteFile(filepath.Join(dir, "wireguard-keys.nix"), []byte(keys), 0o644); err != nil {
		t.Fatal(err)
	}
	p := evalPlan(t, file)
	if len(p.Nodes) != 3 {
		t.Fatalf("nodes: %v", p.Nodes)
	}
	cfg := func(node string) any { return decode(t, node, p.Nodes[node].Configuration) }
	web, gateway, db := cfg("web"), cfg("gateway"), cfg("db")

	if got := dig(web, "networking", "hostName"); got != "web" {
		t.Errorf("defaults: web's hostName = %v", got)
	}
	if got := dig(gateway, "environment", "etc", "motd", "text"); got != "gateway\n" {
		t.Errorf("gateway.nix: motd = %v", got)
	}
	if got := dig(web, "environment", "etc", "web/upstream", "text"); got != "db db\n" {
		t.Errorf("web reads db's hostName through `nodes`: %v", got)
	}
	keysOf := func(v any) string {
		b, _ := jsonText(dig(v, "users", "users", "root", "openssh", "authorizedKeys", "keys"))
		return b
	}
	if !strings.Contains(keysOf(web), "deploy@gateway") || strings.Contains(keysOf(db), "deploy@gateway") {
		t.Errorf("the grant: web root keys %s, db root keys %s", keysOf(web), keysOf(db))
	}
	known, _ := jsonText(dig(gateway, "programs", "ssh", "knownHosts"))
	if !strings.Contains(known, "AAAAIEr+9QI3aBiRWd4m03cAXkMQbi/iJFfTT88YIerJwcYl") {
		t.Errorf("web's host key is not in gateway's known hosts: %s", known)
	}
	wg, _ := jsonText(dig(web, "networking", "wireguard", "interfaces"))
	if !strings.Contains(wg, "80WrPbKdE0nmzLU7fspBqUnwE/iKeUzTyCRQSoYg1VU=") || !strings.Contains(wg, "10.77.0.0/24") {
		t.Errorf("web's WireGuard peers the server for the whole subnet: %s", wg)
	}
	zones, _ := jsonText(dig(gateway, "services", "nsd", "zones"))
	if !strings.Contains(zones, "web.lab.test.") || !strings.Contains(zones, "10.77.0.2") || !strings.Contains(zones, "mail.lab.test.") {
		t.Errorf("gateway serves lab.test with the records: %s", zones)
	}
	if dig(db, "users", "users", "dbbackup") == nil {
		t.Errorf("db has no dbbackup user")
	}
}

// jsonText renders v as JSON for substring checks.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// TestReadmeCustomModule evaluates the README's custom-module snippet (the ```nix block
// starting with "# monitoring.nix") with a server that is an exporter too: both its
// open port and its targets file must come through.
func TestReadmeCustomModule(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	readme, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nix\n# monitoring.nix\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```nix block starting with \"# monitoring.nix\"")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "monitoring.nix"), m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	deploy := "import " + testutil.NixModules() + ` { } {
  imports = [ ./monitoring.nix ];
  nodes.gateway.host = "root@198.18.0.11";
  nodes.web.host = "root@198.18.0.12";
  monitoring.server = "gateway";
  monitoring.exporters = { gateway.port = 9100; web.port = 9101; };
}
`
	if err := os.WriteFile(filepath.Join(dir, "deploy.nix"), []byte(deploy), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nix-instantiate", "--eval", "--strict", "--json", filepath.Join(dir, "deploy.nix"),
		"-A", "plan.nodes.gateway.configuration").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("evaluating the README's module: %v\n%s", err, stderr)
	}
	var cfg struct {
		Environment struct {
			Etc map[string]struct{ Text string } `json:"etc"`
		} `json:"environment"`
		Networking struct {
			Firewall struct {
				AllowedTCPPorts []int `json:"allowedTCPPorts"`
			} `json:"firewall"`
		} `json:"networking"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg.Environment.Etc["monitoring/targets"].Text, "web:9101") {
		t.Errorf("the server has no targets file listing web: %s", out)
	}
	found := false
	for _, p := range cfg.Networking.Firewall.AllowedTCPPorts {
		found = found || p == 9100
	}
	if !found {
		t.Errorf("the server, an exporter too, lost its port 9100: %v", cfg.Networking.Firewall.AllowedTCPPorts)
	}
}
