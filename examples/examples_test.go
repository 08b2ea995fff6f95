// Package examples holds the deployments a newcomer runs first (lab/: the local lab,
// standalone hosts; nixos/: NixOS hosts, needs nixpkgs) and tests that keep them working:
// each lab node's evaluated configuration is a golden file under testdata/lab/, and one
// node's system is built to check that what it carries is what the plan said.
//
// Update the golden files after an intended change with
//
//	go test ./examples/ -run TestLabGolden -update
package examples

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current evaluation")

func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

type planNode struct {
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Host          string          `json:"host"`
	Tags          []string        `json:"tags"`
	Configuration json.RawMessage `json:"configuration"`
}

type plan struct {
	Version int                 `json:"version"`
	Nodes   map[string]planNode `json:"nodes"`
}

// freshLab is the arguments that evaluate examples/lab as on a fresh checkout, whatever
// state a local deploy or `lab up` left beside it (testdata/fresh-state.nix).
func freshLab() []string {
	return []string{
		"--arg", "extraModule", filepath.Join(dir(), "testdata", "fresh-state.nix"),
		"--arg", "labHosts", "null",
	}
}

// evalPlan reads `plan` of a deployment in one nix-instantiate call.
func evalPlan(t *testing.T, file string, extraArgs ...string) plan {
	t.Helper()
	args := append([]string{"--eval", "--strict", "--json", "-A", "plan"}, extraArgs...)
	args = append(args, file)
	cmd := exec.Command("nix-instantiate", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var p plan
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("decoding the plan: %v\n%s", err, out)
	}
	if p.Version != 1 {
		t.Fatalf("plan version %d, want 1", p.Version)
	}
	return p
}

func decode(t *testing.T, what string, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", what, err)
	}
	return v
}

// TestLabGolden compares each lab node's configuration in the plan with
// testdata/lab/<node>.json.
func TestLabGolden(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	p := evalPlan(t, filepath.Join(dir(), "lab", "deploy.nix"), freshLab()...)

	names := make([]string, 0, len(p.Nodes))
	for name := range p.Nodes {
		names = append(names, name)
	}
	sort.Strings(names)
	if want := []string{"db", "gateway", "web"}; !cmp.Equal(names, want) {
		t.Fatalf("lab nodes = %v, want %v", names, want)
	}

	goldenDir := filepath.Join(dir(), "testdata", "lab")
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		// Drop goldens of nodes that no longer exist.
		old, _ := filepath.Glob(filepath.Join(goldenDir, "*.json"))
		for _, f := range old {
			if _, ok := p.Nodes[strings.TrimSuffix(filepath.Base(f), ".json")]; !ok {
				os.Remove(f)
			}
		}
	}
	for _, name := range names {
		node := p.Nodes[name]
		if node.Kind != "standalone" || node.Name != name || !strings.HasPrefix(node.Host, "root@198.18.0.") {
			t.Errorf("%s: kind %q name %q host %q; want a standalone lab node", name, node.Kind, node.Name, node.Host)
		}
		golden := filepath.Join(goldenDir, name+".json")
		if *update {
			var buf bytes.Buffer
			if err := json.Indent(&buf, node.Configuration, "", "  "); err != nil {
				t.Fatal(err)
			}
			buf.WriteByte('\n')
			if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if diff := cmp.Diff(decode(t, golden, want), decode(t, name, node.Configuration)); diff != "" {
			t.Errorf("%s: configuration differs from %s (-golden +evaluated); if intended, rerun with -update:\n%s",
				name, golden, diff)
		}
	}
}

// TestLabSystemCarriesPlan builds the gateway's system and checks that the config.json
// its state names is exactly the plan's configuration for that node.
func TestLabSystemCarriesPlan(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(dir(), "lab", "deploy.nix")
	p := evalPlan(t, file)

	cmd := exec.Command("nix-build", "--no-out-link", "-A", "systems.gateway", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-build -A systems.gateway: %v\n%s", err, stderr.String())
	}
	toplevel := strings.TrimSpace(string(out))
	data, err := os.ReadFile(testutil.StandaloneState(t, toplevel)["config_json"])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decode(t, "plan", p.Nodes["gateway"].Configuration), decode(t, "config.json", data)); diff != "" {
		t.Errorf("%s/config.json differs from plan.nodes.gateway.configuration (-plan +config.json):\n%s", toplevel, diff)
	}
}

// TestLabSystemsBuildInSandbox builds every node's system of examples/lab in a Nix
// sandbox that has nothing from this machine (`sandbox-paths` empty: not even /bin/sh),
// as a NixOS deployer's would: standalone systems are assembled by Nix builtins alone.
// A nonce in every configuration makes the systems new, so they are really built here.
func TestLabSystemsBuildInSandbox(t *testing.T) {
	testutil.RequireNix(t)
	testutil.RequireRoot(t) // a sandboxed build as root needs the nixbld build users (.ci/run)
	file := filepath.Join(dir(), "lab", "deploy.nix")
	nonce := fmt.Sprintf("%d", time.Now().UnixNano())
	cmd := exec.Command("nix-build", "--no-out-link", file, "-A", "systems",
		"--arg", "extraModule", `{ defaults.configuration.environment.etc."nixmesh-sandbox-test".text = "`+nonce+`"; }`)
	cmd.Env = append(os.Environ(), "NIX_CONFIG=substituters =\nsandbox = true\nsandbox-paths =\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nix-build -A systems with the sandbox on: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "building '"); n < 3 {
		t.Errorf("built %d derivations, want the 3 systems built here:\n%s", n, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "/nix/store/") && strings.Contains(line, "nixmesh-system-") {
			if _, err := os.Stat(filepath.Join(line, "bin", "switch-to-configuration")); err != nil {
				t.Errorf("%s: %v", line, err)
			}
		}
	}
}

// TestNixOSExampleWithStandIn evaluates examples/nixos against the faithful stand-in
// for nixpkgs (nixpkgs' real lib from NIXMESH_NIXPKGS_LIB and nix-modules/tests/
// fake-nixpkgs/nixos: NixOS's own option types and assertions for what nixmesh sets), and
// builds alpha's system, which fails while any NixOS assertion fails. Not run without a
// lib. TestNixOSExample below does it against a whole nixpkgs.
func TestNixOSExampleWithStandIn(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	for _, lib := range testutil.NixpkgsLibs(t) {
		t.Run(testutil.LibName(lib), func(t *testing.T) {
			fake := testutil.StandInNixpkgs(t, lib)
			file := filepath.Join(dir(), "nixos", "deploy.nix")
			p := evalPlan(t, file, "--arg", "nixpkgs", fake)
			checkNixOSPlan(t, p)
			alpha, _ := decode(t, "alpha", p.Nodes["alpha"].Configuration).(map[string]any)
			// Port 22 is sshd's, opened as NixOS opens it (services.openssh.openFirewall).
			if diff := cmp.Diff([]any{"alpha", []any{float64(80), float64(22)}, map[string]any{"198.18.0.22": []any{"beta"}}},
				[]any{dig(alpha, "networking", "hostName"), dig(alpha, "networking", "firewall", "allowedTCPPorts"), dig(alpha, "networking", "hosts")}); diff != "" {
				t.Errorf("alpha's hostName, open TCP ports and hosts (-want +got):\n%s", diff)
			}
			for _, node := range []string{"alpha", "beta"} {
				out, err := exec.Command("nix-instantiate", "-A", "systems."+node, "--arg", "nixpkgs", fake, file).CombinedOutput()
				if err != nil {
					t.Errorf("instantiating %s's system (every NixOS assertion must hold): %v\n%s", node, err, out)
				}
			}
		})
	}
}

// TestNixOSExample evaluates examples/nixos against a nixpkgs checkout.
//
// This test is ALLOWED TO SKIP, in CI too: there is no nixpkgs on the build machines
// (and no network to fetch one), so it runs only when NIXMESH_NIXPKGS names a local
// nixpkgs checkout. It deliberately uses t.Skip, not testutil.SkipOrFail.
func TestNixOSExample(t *testing.T) {
	nixpkgs := os.Getenv("NIXMESH_NIXPKGS")
	if nixpkgs == "" {
		t.Skip("not run: set NIXMESH_NIXPKGS to a nixpkgs checkout to evaluate examples/nixos")
	}
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	p := evalPlan(t, filepath.Join(dir(), "nixos", "deploy.nix"), "-I", "nixpkgs="+nixpkgs)
	checkNixOSPlan(t, p)
}

// checkNixOSPlan: both nodes of examples/nixos are NixOS nodes named by `defaults', and
// their configurations hold nothing outside the NixOS subset.
func checkNixOSPlan(t *testing.T, p plan) {
	t.Helper()
	for _, name := range []string{"alpha", "beta"} {
		node, ok := p.Nodes[name]
		if !ok {
			t.Errorf("plan lacks node %s", name)
			continue
		}
		if node.Kind != "nixos" {
			t.Errorf("%s: kind %q, want nixos", name, node.Kind)
		}
		cfg, _ := decode(t, name, node.Configuration).(map[string]any)
		networking, _ := cfg["networking"].(map[string]any)
		if networking["hostName"] != name {
			t.Errorf("%s: networking.hostName = %v, want %q", name, networking["hostName"], name)
		}
		for key := range cfg {
			switch key {
			case "networking", "users", "programs", "services", "environment", "system", "boot":
			default:
				t.Errorf("%s: configuration has %q, outside the NixOS subset", name, key)
			}
		}
		if dig(cfg, "fileSystems") != nil || dig(cfg, "services", "openssh") != nil {
			t.Errorf("%s: configuration has options outside the NixOS subset", name)
		}
	}
}

func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
