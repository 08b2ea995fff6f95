package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

// examples/flake, offline: its nixmesh input points at this repository (path:), and the
// same deployment is reached by --flake (eval, build) and by `nix build` of the flake
// output (the deploy script).
func TestFlake(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	dir := filepath.Join(t.TempDir(), "fleet")
	if out, err := exec.Command("cp", "-r", filepath.Join(testutil.RepoRoot(), "examples", "flake"), dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	flake := filepath.Join(dir, "flake.nix")
	src, _ := os.ReadFile(flake)
	const input = `inputs.nixmesh.url = "github:nixmesh/nixmesh";`
	if !strings.Contains(string(src), input) {
		t.Fatalf("the template's nixmesh input changed; update this test:\n%s", src)
	}
	local := `inputs.nixmesh.url = "path:` + testutil.RepoRoot() + `";`
	sys, err := command.Output(context.Background(), command.Cmd{Argv: []string{"nix-instantiate", "--eval", "-E", "builtins.currentSystem"}})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), input, local, 1)
	text = strings.Replace(text, `system = "x86_64-linux";`, "system = "+strings.TrimSpace(string(sys))+";", 1)
	os.WriteFile(flake, []byte(text), 0o644)

	code, out, errOut := nixmesh(t, "eval", "--json", "--flake", dir)
	if code != 0 {
		t.Fatalf("eval --flake: exit %d\n%s", code, errOut)
	}
	var nodes map[string]any
	if err := json.Unmarshal([]byte(out), &nodes); err != nil || nodes["alpha"] == nil || nodes["beta"] == nil {
		t.Fatalf("eval --flake: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "flake.lock")); err != nil {
		t.Errorf("no flake.lock was written: %v", err)
	}
	code, out, errOut = nixmesh(t, "build", "--flake", dir+"#default", "alpha")
	if code != 0 || !strings.Contains(out, "alpha\t/nix/store/") {
		t.Errorf("build --flake: exit %d, %q\n%s", code, out, errOut)
	}
	if code, _, errOut := nixmesh(t, "eval", "--flake", dir+"#staging"); code != exitEval || !strings.Contains(errOut, "has no nixmeshConfigurations.staging; it has: default") {
		t.Errorf("unknown configuration: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := nixmesh(t, "eval", "--flake", t.TempDir()); code != exitUsage || !strings.Contains(errOut, "has no flake.nix") {
		t.Errorf("a folder without flake.nix: exit %d\n%s", code, errOut)
	}
	for ref, want := range map[string]string{
		dir + "#default#alpha":  "one '#'",
		dir + "#default\nx = 1": "a control character",
	} {
		if code, _, errOut := nixmesh(t, "eval", "--flake", ref); code != exitUsage || !strings.Contains(errOut, want) {
			t.Errorf("--flake %q: exit %d, want %d with %q\n%s", ref, code, exitUsage, want, errOut)
		}
	}

	// The pure-Nix front door from the flake: nix build of the output is the script.
	link := filepath.Join(t.TempDir(), "result")
	_, err = command.Output(context.Background(), command.Cmd{
		Argv: []string{"nix", "build", "--out-link", link, dir + "#nixmeshConfigurations.default"},
		Env:  withFlakes(testutil.NixEnv()),
	})
	if err != nil {
		t.Fatalf("nix build of the flake output: %v\n%s", err, stderrText(err))
	}
	script, err := os.ReadFile(link)
	if err != nil || !strings.Contains(string(script), "alpha: root@alpha.example.net") || !strings.Contains(string(script), "deploy --plan") {
		t.Errorf("the built script:\n%s (%v)", script, err)
	}
}

func stderrText(err error) string {
	var pe *command.ProcessError
	if e, ok := err.(*command.ProcessError); ok {
		pe = e
	}
	if pe != nil {
		return pe.Stderr
	}
	return ""
}
