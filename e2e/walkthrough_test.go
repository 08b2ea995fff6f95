package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

// walkthroughLab is the lab the README's walkthrough brings up (its --name and subnet).
const walkthroughLab = "first"

// TestReadmeWalkthrough follows the README's "A first deployment of your own" literally:
// a fresh directory holding the README's deploy.nix and nixmesh as ./nixmesh (this
// checkout's nix-modules, the binary under test as bin/nixmesh), then the README's
// command block, run as it stands by bash -e: key pair, `lab up` (which must evaluate
// while no key file exists), `keys ssh`, `keys wireguard --local --store`, check, deploy,
// verify and the two "try it" lines. Every command must succeed; then the test checks
// what the lines printed and that what no grant allows is refused.
func TestReadmeWalkthrough(t *testing.T) {
	require(t)
	readme, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	deployNix := readmeBlock(t, readme, "walkthrough:deploy.nix", "nix")
	commands := readmeBlock(t, readme, "walkthrough:commands", "sh")
	if !strings.Contains(commands, "--name "+walkthroughLab+" ") {
		t.Fatalf("the walkthrough no longer brings up lab %q; update walkthroughLab", walkthroughLab)
	}

	dir := t.TempDir()
	checkout := filepath.Join(dir, "nixmesh")
	for _, d := range []string{filepath.Join(checkout, "bin"), filepath.Join(dir, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(testutil.NixModules(), filepath.Join(checkout, "nix-modules")); err != nil {
		t.Fatal(err)
	}
	bin := nixmeshBinary(t)
	if err := os.Symlink(bin, filepath.Join(checkout, "bin", "nixmesh")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "deploy.nix"), deployNix, 0o644)

	// Whatever happens, the lab goes (by name: the walkthrough made it, not this test).
	t.Cleanup(func() {
		out, err := command.Output(context.Background(), command.Cmd{Argv: []string{bin, "lab", "down", "--name", walkthroughLab}})
		if err != nil {
			t.Logf("lab down: %v\n%s", err, out)
		}
	})

	env := append(filteredEnv("HOME", "NIX_CONFIG"), "HOME="+filepath.Join(dir, "home"), "NIX_CONFIG="+testutil.NixConfig)
	var out bytes.Buffer
	cmd := exec.CommandContext(testContext(t), "bash", "-euo", "pipefail", "-x", "-c", commands)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's commands failed (%v); their output (bash -x):\n%s", err, out.String())
	}
	t.Logf("the README's commands:\n%s", out.String())

	printed := out.String()
	for _, want := range []string{
		"ok: 4 nodes, 4 SSH grants, 1 VPN network, 1 DNS zone with 4 records", // check
		"wrote " + filepath.Join(dir, "ssh-host-keys.nix"),                    // keys ssh
		"wrote " + filepath.Join(dir, "wireguard-keys.nix"),                   // keys wireguard
		"alpha | ops", // ssh ops@gamma from alpha with the admin key
	} {
		if !strings.Contains(printed, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	// verify's table: every edge of the mesh (6 links), the 4 grants, 4 records and the SOA.
	if n := len(regexp.MustCompile(`(?m)^vpn +mesh: \S+ <-> \S+ +ok `).FindAllString(printed, -1)); n != 6 {
		t.Errorf("verify shows %d working mesh links, want 6", n)
	}
	if n := len(regexp.MustCompile(`(?m)^ssh +alpha \(key admin\) -> \S+ +ok `).FindAllString(printed, -1)); n != 4 {
		t.Errorf("verify shows %d working grants, want 4", n)
	}
	// dig +short on delta: gamma's VPN address, which the mesh gave it from its subnet.
	if !regexp.MustCompile(`(?m)^delta \| 10\.88\.0\.\d+$`).MatchString(printed) {
		t.Errorf("delta's dig did not print gamma's address in 10.88.0.0/24")
	}
	// The private keys stayed here, readable by their owner only; none is in the store.
	for _, node := range []string{"alpha", "beta", "gamma", "delta"} {
		fi, err := os.Stat(filepath.Join(dir, "secrets", "wg-mesh-"+node+".key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("secrets/wg-mesh-%s.key: %v %v, want mode 0600", node, fi, err)
		}
	}

	// What no grant allows: root on gamma (the admin key may log in as ops there only).
	refused := exec.CommandContext(testContext(t), filepath.Join(checkout, "bin", "nixmesh"),
		"exec", "alpha", "--", "ssh", "-o", "BatchMode=yes", "root@gamma", "true")
	refused.Dir, refused.Env = dir, env
	if b, err := refused.CombinedOutput(); err == nil {
		t.Errorf("alpha's admin key logged in as root on gamma; no grant allows it:\n%s", b)
	}
}

// readmeBlock returns the fenced block of language lang that follows the README's
// `<!-- marker -->` line.
func readmeBlock(t *testing.T, readme []byte, marker, lang string) string {
	t.Helper()
	re := regexp.MustCompile("(?s)<!-- " + regexp.QuoteMeta(marker) + " -->\n```" + lang + "\n(.*?)```")
	m := re.FindSubmatch(readme)
	if m == nil {
		t.Fatalf("README.md has no ```%s block after <!-- %s -->", lang, marker)
	}
	return string(m[1])
}

// filteredEnv is this process's environment without the named variables.
func filteredEnv(drop ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, d := range drop {
			keep = keep && k != d
		}
		if keep {
			env = append(env, kv)
		}
	}
	return env
}
