package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestMistakes runs `nixmesh check` on examples/lab with each plausible mistake of
// testdata/mistakes.txt added as a module, and holds it to the line's expectation: an
// error with the option path and file:line (most), an error without a location (and why),
// a warning, or acceptance (and why it is no mistake nixmesh can know). A mistake that
// starts to pass, or an error that loses its location, fails here.
func TestMistakes(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	runMistakes(t, nil, true, nil)
}

// TestMistakesOnNixOS: the same mistakes with every node a NixOS one (the stand-in NixOS
// on the newest NIXMESH_NIXPKGS_LIB lib; not run without): each ends as on a standalone
// node, refused or not, except where testdata/mistakes-nixos.txt says NixOS differs
// (what NixOS accepts and only the standalone schema refuses; options that do not
// exist, which NixOS refuses where standalone hosts warn). A case that NixOS should
// refuse and the stand-in takes shows the stand-in reading less than NixOS does.
func TestMistakesOnNixOS(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	libs := testutil.NixpkgsLibs(t)
	nixpkgs := testutil.StandInNixpkgs(t, libs[len(libs)-1])
	overrides := map[string]string{}
	f, err := os.Open(filepath.Join(testutil.RepoRoot(), "cmd", "nixmesh", "testdata", "mistakes-nixos.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		name, expect, ok := strings.Cut(line, " | ")
		kind, why, _ := strings.Cut(expect, ": ")
		if !ok || why == "" || kind != "accepted" && kind != "error" {
			t.Fatalf("mistakes-nixos.txt: malformed line %q (NAME | accepted: WHY or NAME | error: WHY)", line)
		}
		overrides[name] = kind
	}
	runMistakes(t, []string{"--arg", "nixpkgs", nixpkgs}, false, overrides)
}

// TestMistakesOnNixpkgsLib: the same with the network level on nixpkgs' own lib (the
// oldest and the newest NIXMESH_NIXPKGS_LIB entry; not run without), where a NixOS
// deployment evaluates it: the same outcome for every mistake.
func TestMistakesOnNixpkgsLib(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	libs := testutil.NixpkgsLibs(t)
	for _, lib := range []string{libs[0], libs[len(libs)-1]} {
		t.Run(testutil.LibName(lib), func(t *testing.T) {
			runMistakes(t, []string{"--arg", "lib", "import " + lib}, false, nil)
		})
	}
}

// runMistakes checks every line of testdata/mistakes.txt, with extra Nix arguments;
// located: also require the option path and file:line of the errors (the bundled lib
// records positions; nixpkgs' names files only). nixos (NixOS-kind nodes, non-nil):
// outcomes that differ from standalone nodes by name ("accepted" or "error"); there,
// only the outcome counts (a warning is a success: NixOS's warnings are its own), and
// the README's counts are not checked.
func runMistakes(t *testing.T, nixArgs []string, located bool, nixos map[string]string) {
	deploy := filepath.Join(testutil.RepoRoot(), "examples", "lab", "deploy.nix")
	f, err := os.Open(filepath.Join(testutil.RepoRoot(), "cmd", "nixmesh", "testdata", "mistakes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.SplitN(line, " | ", 3)
		if len(parts) != 3 {
			t.Fatalf("mistakes.txt: malformed line %q", line)
		}
		name, expect, module := parts[0], parts[1], parts[2]
		kind, detail, _ := strings.Cut(expect, ": ")
		counts[kind]++
		if nixos != nil {
			if k, ok := nixos[name]; ok {
				kind = k
				delete(nixos, name)
			} else if kind == "warning" {
				kind = "accepted"
			}
			if kind == "error" {
				kind = "error-unlocated"
			}
		}
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name+".nix")
			if err := os.WriteFile(file, []byte("{ lib, config, ... }: "+module+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"-f", deploy, "check", "--", "--arg", "extraModule", file}, nixArgs...)
			code, _, stderr := nixmesh(t, args...)
			// The location is the user's (the mistake's module or the deployment's own
			// files), never the framework's declaration of the option.
			at := ""
			if _, rest, ok := strings.Cut(stderr, "\n  at:     "); ok {
				at, _, _ = strings.Cut(rest, "\n")
			}
			framework := filepath.Join(testutil.RepoRoot(), "nix-modules") + "/"
			where := strings.Contains(stderr, "\n  option: ") && at != "" && !strings.HasPrefix(at, framework)
			switch kind {
			case "error":
				if code != exitEval || located && !where {
					t.Errorf("exit %d, want 3 with the option path and the user's file:line:\n%s", code, stderr)
				}
			case "error-unlocated":
				if code != exitEval {
					t.Errorf("exit %d, want 3:\n%s", code, stderr)
				}
			case "warning":
				if code != 0 || !strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, detail) {
					t.Errorf("exit %d, want 0 with a warning containing %q:\n%s", code, detail, stderr)
				} else if located && !warningLocated(stderr, detail, file, filepath.Dir(deploy)) {
					t.Errorf("the warning containing %q names neither %s nor a file of the deployment:\n%s", detail, file, stderr)
				}
			case "accepted":
				if code != 0 {
					t.Errorf("exit %d, want it accepted (%s):\n%s", code, detail, stderr)
				}
			default:
				t.Fatalf("mistakes.txt: unknown expectation %q", expect)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if nixos != nil {
		for name := range nixos {
			t.Errorf("mistakes-nixos.txt names %s, which mistakes.txt does not have", name)
		}
		return
	}
	// The README's Tests section states these counts; it must say what the list holds.
	if readme, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md")); err != nil {
		t.Error(err)
	} else {
		text := strings.Join(strings.Fields(string(readme)), " ")
		total := counts["error"] + counts["error-unlocated"] + counts["warning"] + counts["accepted"]
		for _, want := range []string{
			fmt.Sprintf("%d plausible mistakes", total),
			fmt.Sprintf("%d must fail naming the option", counts["error"]),
			fmt.Sprintf("%d with their message only", counts["error-unlocated"]),
			fmt.Sprintf("%d warn naming the file", counts["warning"]),
			fmt.Sprintf("%d are accepted", counts["accepted"]),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("README.md does not say %q (the counts of mistakes.txt)", want)
			}
		}
	}
	if counts["error"] < 100 {
		t.Errorf("only %d mistakes expected to fail with a location; the list is meant to hold more", counts["error"])
	}
	t.Logf("mistakes: %v", counts)
}

// warningLocated reports whether the warning that contains detail names the mistake's
// file or one of the deployment's own (under dir): where the user wrote what it warns of.
func warningLocated(stderr, detail, file, dir string) bool {
	for _, w := range strings.Split(stderr, "warning: ") {
		if strings.Contains(w, detail) && (strings.Contains(w, file) || strings.Contains(w, dir+"/")) {
			return true
		}
	}
	return false
}

// TestNixOSAbortNamesOption: NixOS aborts, without a position, on a user name over 31
// characters (in the `apply' of the user's `name'); `nixmesh check` of a NixOS node
// (the stand-in NixOS on each NIXMESH_NIXPKGS_LIB lib; not run without) names the
// option, found in a second run's trace.
func TestNixOSAbortNamesOption(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	for _, lib := range testutil.NixpkgsLibs(t) {
		t.Run(testutil.LibName(lib), func(t *testing.T) {
			code, stderr, _ := checkOnStandIn(t, testutil.StandInNixpkgs(t, lib), `{ ... }: {
  nodes.a = { host = "a";
    configuration.users.users.a_very_long_service_account_name = { isSystemUser = true; group = "nogroup"; };
  };
}
`)
			if code != exitEval || !strings.Contains(stderr, "is longer than 31 characters") ||
				!strings.Contains(stderr, "option: nodes.a.configuration.users.users.a_very_long_service_account_name.name") {
				t.Errorf("exit %d, want %d naming the user's option:\n%s", code, exitEval, stderr)
			}
		})
	}
}
