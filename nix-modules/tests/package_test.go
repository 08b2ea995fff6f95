package nixmodulestests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// The vendorHash of nix-modules/package.nix is the NAR hash of `go mod vendor`'s output
// (what buildGoModule's module derivation produces): recomputed here from go.mod/go.sum,
// so that a dependency change without a new hash fails here, not on a user's machine.
func TestPackageVendorHash(t *testing.T) {
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "go")
	src, err := os.ReadFile(filepath.Join(testutil.NixModules(), "package.nix"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`vendorHash = "(sha256-[A-Za-z0-9+/=]+)";`).FindSubmatch(src)
	if m == nil {
		t.Fatal("package.nix has no vendorHash = \"sha256-...\"")
	}
	vendor := filepath.Join(t.TempDir(), "vendor")
	cmd := exec.Command("go", "mod", "vendor", "-o", vendor)
	cmd.Dir = testutil.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	out, err := exec.Command("nix", "--extra-experimental-features", "nix-command", "hash", "path", vendor).Output()
	if err != nil {
		t.Fatalf("nix hash path: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != string(m[1]) {
		t.Errorf("package.nix has vendorHash %s, but the vendored modules hash to %s: update it", m[1], got)
	}
}

// The source package.nix gives buildGoModule holds everything the engine needs (go.mod,
// the packages, the files they embed) and nothing built or generated: a copy of it
// builds ./cmd/nixmesh. package.nix is evaluated on nixpkgs' real lib
// (NIXMESH_NIXPKGS_LIB; not run without), with buildGoModule replaced by a function
// that returns its arguments: what is tested is the source and the arguments, not
// nixpkgs' Go builder.
func TestPackageSource(t *testing.T) {
	libs := testutil.NixpkgsLibs(t)
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "go")
	testutil.SetNixEnv(t)
	expr := `{ lib }: let p = import ` + filepath.Join(testutil.NixModules(), "package.nix") +
		` { lib = import lib; buildGoModule = args: args; }; in { src = "${p.src}"; inherit (p) subPackages vendorHash preBuild; }`
	for _, libDir := range libs {
		t.Run(testutil.LibName(libDir), func(t *testing.T) {
			out, err := exec.Command("nix-instantiate", "--eval", "--read-write-mode", "--strict", "--json", "-E", expr, "--arg", "lib", libDir).Output()
			if err != nil {
				t.Fatalf("evaluating package.nix: %v\n%s", err, stderrOf(err))
			}
			var got struct {
				Src         string   `json:"src"`
				SubPackages []string `json:"subPackages"`
				PreBuild    string   `json:"preBuild"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.SubPackages) != 1 || got.SubPackages[0] != "cmd/nixmesh" || !strings.Contains(got.PreBuild, "CGO_ENABLED=0") {
				t.Errorf("subPackages %v, preBuild %q; want cmd/nixmesh, static", got.SubPackages, got.PreBuild)
			}
			for _, absent := range []string{"bin", ".git", "result"} {
				if _, err := os.Lstat(filepath.Join(got.Src, absent)); err == nil {
					t.Errorf("the source %s holds %s", got.Src, absent)
				}
			}
			work := filepath.Join(t.TempDir(), "src")
			if out, err := exec.Command("cp", "-r", got.Src, work).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v\n%s", err, out)
			}
			exec.Command("chmod", "-R", "u+w", work).Run()
			build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "nixmesh"), "./cmd/nixmesh")
			build.Dir = work
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Errorf("go build in the package's source: %v\n%s", err, out)
			}
		})
	}
}

// With nixpkgs given and no nixmesh binary, the deploy script pins the engine built by
// ./package.nix: its derivation is an input of the script's (the engine is the script's
// builder). Runs only with NIXMESH_NIXPKGS naming a whole nixpkgs checkout (allowed to
// skip in CI too: there is none there, and no network to fetch one).
func TestEnginePinnedWithNixpkgs(t *testing.T) {
	nixpkgs := os.Getenv("NIXMESH_NIXPKGS")
	if nixpkgs == "" {
		t.Skip("not run: set NIXMESH_NIXPKGS to a nixpkgs checkout")
	}
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	deploy := filepath.Join(testutil.RepoRoot(), "examples", "nixos", "deploy.nix")
	out, err := exec.Command("nix-instantiate", deploy, "-I", "nixpkgs="+nixpkgs).Output()
	if err != nil {
		t.Fatalf("nix-instantiate %s: %v\n%s", deploy, err, stderrOf(err))
	}
	drv := strings.TrimSpace(string(out))
	refs, err := exec.Command("nix-store", "-q", "--references", drv).Output()
	if err != nil {
		t.Fatalf("nix-store -q --references %s: %v", drv, err)
	}
	if !regexp.MustCompile(`-nixmesh-[^/]*\.drv`).Match(refs) {
		t.Errorf("the deploy script %s does not depend on a nixmesh package; its inputs:\n%s", drv, refs)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// Nixus's hasFastConnection = false makes substituteOnTarget default to true; the plan
// carries the choice (and ignoreFailingSystemdUnits) to the engine.
func TestTransferOptionsInThePlan(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	expr := `let d = import ` + testutil.NixModules() + ` { } {
	  nodes.a = { host = "root@192.0.2.9"; hasFastConnection = false; configuration.networking.hostName = "a"; };
	  nodes.b = { host = "root@192.0.2.10"; ignoreFailingSystemdUnits = true; configuration.networking.hostName = "b"; };
	}; in builtins.mapAttrs (_: n: { inherit (n) substituteOnTarget ignoreFailingSystemdUnits switchTimeout; }) d.plan.nodes`
	var got map[string]map[string]any
	mustEvalArgs(t, []string{"--eval", "--strict", "--json", "-E", expr}, &got)
	if got["a"]["substituteOnTarget"] != true || got["b"]["substituteOnTarget"] != false {
		t.Errorf("substituteOnTarget: %v", got)
	}
	if got["a"]["ignoreFailingSystemdUnits"] != false || got["b"]["ignoreFailingSystemdUnits"] != true {
		t.Errorf("ignoreFailingSystemdUnits: %v", got)
	}
	if got["a"]["switchTimeout"] != float64(60) {
		t.Errorf("a standalone node's switchTimeout is %v, want 60", got["a"]["switchTimeout"])
	}
}
