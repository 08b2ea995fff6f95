package scripts

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

// deployment is a two-node deployment whose script the tests build: web has a secret
// read from a file, db is disabled.
const deployment = `import NIXMODULES { } {
  nodes.web = {
    host = "root@127.0.0.1";
    port = 1;
    successTimeout = 33;
    secrets.token = { file = "/nonexistent/token"; path = "/var/lib/app/token"; };
    configuration.environment.etc.marker.text = "NONCE";
  };
  nodes.db = { host = "root@127.0.0.1"; enable = false; };
}
`

// buildScript builds the deployment's script (attr "" for all enabled nodes, or
// "nodes.NAME") and returns its path.
func buildScript(t *testing.T, attr string) string {
	t.Helper()
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "deploy.nix")
	src := strings.NewReplacer("NIXMODULES", testutil.NixModules(), "NONCE", dir).Replace(deployment)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-out-link", file}
	if attr != "" {
		args = append(args, "-A", attr)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("nix-build", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-build %s: %v\n%s", attr, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// fakeEngine puts a `nixmesh` on PATH that prints its arguments, one per line.
func fakeEngine(t *testing.T) []string {
	dir := t.TempDir()
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(dir, "nixmesh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+dir+":/usr/bin:/bin")
}

func runScript(t *testing.T, env []string, script string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(script, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// TestScriptRunsTheEngineOnItsFrozenPlan: ./result names what it deploys (host, system,
// timeouts, secret sources, never contents), hands its arguments to `nixmesh deploy
// --plan` with the action words mapped to flags, and its plan lists exactly its nodes
// with their built systems.
func TestScriptRunsTheEngineOnItsFrozenPlan(t *testing.T) {
	script := buildScript(t, "")
	text, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"web: root@127.0.0.1 port 1; confirm within 33s", "  system /nix/store/",
		"secret token: file /nonexistent/token -> /var/lib/app/token (pre-activation)"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the script's header lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "db:") {
		t.Errorf("the script names the disabled node db:\n%s", text)
	}

	env := fakeEngine(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "deploy\n--plan\nPLAN\n"},
		{[]string{"test", "web"}, "deploy\n--plan\nPLAN\n--action\ntest\nweb\n"},
		{[]string{"boot"}, "deploy\n--plan\nPLAN\n--action\nboot\n"},
		{[]string{"dry-activate", "--parallel", "2"}, "deploy\n--plan\nPLAN\n--dry-activate\n--parallel\n2\n"},
		{[]string{"dry-run", "web"}, "deploy\n--plan\nPLAN\n--dry-run\nweb\n"},
	} {
		out, code := runScript(t, env, script, c.args...)
		lines := strings.Split(out, "\n")
		if code != 0 || len(lines) < 3 {
			t.Fatalf("./result %v: exit %d\n%s", c.args, code, out)
		}
		plan := lines[2]
		if got := strings.Replace(out, plan, "PLAN", 1); got != c.want {
			t.Errorf("./result %v ran nixmesh with\n%s\nwant\n%s", c.args, got, c.want)
		}
		var frozen struct {
			Frozen struct {
				Nodes   []string
				Systems map[string]string
			}
		}
		b, err := os.ReadFile(plan)
		if err != nil || json.Unmarshal(b, &frozen) != nil {
			t.Fatalf("reading the plan %s: %v", plan, err)
		}
		if len(frozen.Frozen.Nodes) != 1 || frozen.Frozen.Nodes[0] != "web" {
			t.Errorf("frozen nodes = %v, want [web]", frozen.Frozen.Nodes)
		}
		if _, err := os.Stat(filepath.Join(frozen.Frozen.Systems["web"], "bin", "switch-to-configuration")); err != nil {
			t.Errorf("web's frozen system is not built: %v", err)
		}
	}

	// --help teaches, and passes the engine's flags on.
	out, code := runScript(t, env, script, "--help")
	if code != 0 || !strings.Contains(out, "Usage: ./result [switch|test|boot|dry-activate|dry-run]") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}

	// Without an engine: exit 2 and both ways to give one.
	out, code = runScript(t, append(os.Environ(), "PATH=/usr/bin:/bin"), script)
	if code != 2 || !strings.Contains(out, "not on PATH") || !strings.Contains(out, "nixmesh = ./bin/nixmesh") {
		t.Errorf("without nixmesh: exit %d\n%s", code, out)
	}
}

// TestDisabledNodeScriptDeploysNothing: a disabled node's own script says so and exits 0
// without running the engine.
func TestDisabledNodeScriptDeploysNothing(t *testing.T) {
	script := buildScript(t, "nodes.db")
	out, code := runScript(t, fakeEngine(t), script)
	if code != 0 || !strings.Contains(out, "node db is disabled") || strings.Contains(out, "--plan") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestPinnedEngineScriptBuildsInSandbox: with the engine pinned (`nixmesh = <path>`), the
// script and its plan are written by the (static) engine itself, so they build with the
// sandbox on and nothing from this machine in it (no /bin/sh); the script runs the
// pinned engine, which is in its closure.
func TestPinnedEngineScriptBuildsInSandbox(t *testing.T) {
	testutil.RequireRoot(t) // a sandboxed build as root needs the nixbld build users (.ci/run)
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "go")
	dir := t.TempDir()
	engine := filepath.Join(dir, "nixmesh")
	build := exec.Command("go", "build", "-o", engine, "./cmd/nixmesh")
	build.Dir = testutil.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "deploy.nix")
	src := strings.NewReplacer("NIXMODULES { }", testutil.NixModules()+" { nixmesh = "+engine+"; }", "NONCE", dir).Replace(deployment)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("nix-build", "--no-out-link", file)
	cmd.Env = append(os.Environ(), "NIX_CONFIG=substituters =\nsandbox = true\nsandbox-paths =\n")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-build with the sandbox on and the engine pinned: %v\n%s", err, stderr.String())
	}
	script := strings.TrimSpace(string(out))
	info, err := os.Stat(script)
	if err != nil || info.Mode().Perm() != 0o555 {
		t.Fatalf("the script %s: %v, mode %v; want an executable file", script, err, info.Mode())
	}
	text, _ := os.ReadFile(script)
	m := regexp.MustCompile(`engine=(/nix/store/[^\s]+)`).FindSubmatch(text)
	if m == nil {
		t.Fatalf("the script does not pin a store path as its engine:\n%s", text)
	}
	closure, err := exec.Command("nix-store", "-qR", script).Output()
	if err != nil || !strings.Contains(string(closure), string(m[1])) {
		t.Errorf("the pinned engine %s is not in the script's closure (%v):\n%s", m[1], err, closure)
	}
	// It runs the pinned engine, with no nixmesh on PATH.
	help, code := runScript(t, append(os.Environ(), "PATH=/usr/bin:/bin"), script, "--help")
	if code != 0 || !strings.Contains(help, "Flags (passed to nixmesh deploy):") || !strings.Contains(help, "--parallel") {
		t.Errorf("--help with the pinned engine: exit %d\n%s", code, help)
	}
	// A usage mistake points at the script's --help (the engine's own is not what its
	// user ran), and reaches no host.
	typo, code := runScript(t, append(os.Environ(), "PATH=/usr/bin:/bin"), script, "wbe")
	if code != 2 || !strings.Contains(typo, `did you mean "web"`) || !strings.Contains(typo, "Run '"+script+" --help' for usage.") {
		t.Errorf("a mistyped node: exit %d\n%s", code, typo)
	}
}
