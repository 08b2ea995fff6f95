package modulestests

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
	nixmodulestests "github.com/nixmesh/nixmesh/nix-modules/tests"
)

// TestBadInput evaluates every bad/*.nix, as one evaluation and in workers, and
// requires a failure that names the option path, the fixture's file and the expected
// message. (Every cross-host check is the Nix modules'; there is no second copy in Go
// to agree with.)
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
	for i, fx := range fixtures {
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

			// What build and deploy (and, every other fixture, check) see: the workers,
			// one node each, where one worker checks the network level and every worker
			// the cross-host checks of its own node's host. A check that neither kind
			// of worker runs would let this fixture evaluate.
			keepGoing := i%2 == 1
			ev := &eval.Evaluator{File: fx.Path, Stderr: io.Discard}
			index, err := ev.Index(context.Background())
			if err == nil {
				_, _, _, err = ev.EvalNodes(context.Background(), index.Names(), eval.WorkerLimits{Workers: 2, Batch: 1, KeepGoing: keepGoing})
			}
			evalErr = nil
			if !errors.As(err, &evalErr) || len(evalErr.Diagnostics) == 0 {
				t.Fatalf("workers (keep going: %v): %v, want an *eval.EvalError with diagnostics", keepGoing, err)
			}
			if d := evalErr.Diagnostics[0]; d.OptionPath != fx.OptPath || filepath.Base(d.File) != fx.File {
				t.Errorf("workers (keep going: %v): diagnostic names %s in %s, want %s in %s", keepGoing, d.OptionPath, d.File, fx.OptPath, fx.File)
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
