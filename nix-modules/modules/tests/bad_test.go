package modulestests

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
	nixmodulestests "github.com/nixmesh/nixmesh/nix-modules/tests"
)

// goNo marks a fixture whose error is a type error: the plan never exists, so the Go
// checks cannot see it.
func goNo(fx nixmodulestests.BadFixture) bool {
	for _, c := range fx.Comments {
		if strings.HasPrefix(c, "go: no") {
			return true
		}
	}
	return false
}

// TestBadInput evaluates every bad/*.nix and requires a failure that names the option
// path, the fixture's file and the expected message. Where the mistake is not a type
// error, it also evaluates the unchecked network (testdata/raw.nix) and requires the
// Nix modules' problem list and crossmodules.Check to name the same option paths.
func TestBadInput(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	fixtures, err := nixmodulestests.LoadBadFixtures(dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) < 20 {
		t.Fatalf("only %d bad fixtures; at least 20 are required", len(fixtures))
	}
	for _, fx := range fixtures {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			if fx.OptPath == "" {
				t.Fatal("every fixture of the cross-host modules must name its option path")
			}
			out, stderr, err := nixEval("-A", "plan", fx.Path)
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) {
				t.Fatalf("nix-instantiate succeeded (or did not run: %v); stdout:\n%s", err, out)
			}
			if missing := fx.Check(stderr); len(missing) > 0 {
				t.Errorf("stderr lacks %s\nstderr:\n%s", strings.Join(missing, ", "), stderr)
			}
			// What `nixmesh check` and `nixmesh eval` show: a diagnostic with the path and file.
			_, err = (&eval.Evaluator{File: fx.Path}).Plan(context.Background())
			var evalErr *eval.EvalError
			if !errors.As(err, &evalErr) || len(evalErr.Diagnostics) == 0 {
				t.Fatalf("eval.Evaluator.Plan: %v, want an *eval.EvalError with diagnostics", err)
			}
			if d := evalErr.Diagnostics[0]; d.OptionPath != fx.OptPath || filepath.Base(d.File) != fx.File {
				t.Errorf("diagnostic names %s in %s, want %s in %s", d.OptionPath, d.File, fx.OptPath, fx.File)
			}
			if goNo(fx) {
				return
			}
			raw, stderr, err := nixEval(testdata("raw.nix"), "--arg", "file", fx.Path)
			if err != nil {
				t.Fatalf("the unchecked network does not evaluate: %v\n%s", err, stderr)
			}
			var nixSide struct {
				Problems []string `json:"problems"`
			}
			if err := json.Unmarshal(raw, &nixSide); err != nil {
				t.Fatal(err)
			}
			network, err := eval.DecodePlan(raw)
			if err != nil {
				t.Fatal(err)
			}
			var goSide []string
			for _, p := range crossmodules.Check(network) {
				// The checks of what hosts' configurations carry have no Nix twin (raw.nix
				// gives every node an empty configuration).
				if !strings.HasPrefix(p.Path, "nodes.") || strings.Contains(p.Path, ".dns.") {
					goSide = append(goSide, p.Path)
				}
			}
			sort.Strings(nixSide.Problems)
			sort.Strings(goSide)
			if diff := cmp.Diff(nixSide.Problems, goSide); diff != "" {
				t.Errorf("the Nix modules and crossmodules.Check disagree on the option paths (-nix +go):\n%s", diff)
			}
			if !contains(goSide, fx.OptPath) {
				t.Errorf("crossmodules.Check does not report %s; it reports %v", fx.OptPath, goSide)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
