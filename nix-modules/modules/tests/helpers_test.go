package modulestests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/eval"
)

func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

func testdata(name string) string { return filepath.Join(dir(), "testdata", name) }

// nixEval runs nix-instantiate --eval --strict --json with args and returns stdout; on
// failure it returns stderr in the error.
func nixEval(args ...string) ([]byte, string, error) {
	cmd := exec.Command("nix-instantiate", append([]string{"--eval", "--strict", "--json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.String(), err
}

// planOf evaluates the plan of a deployment file.
func planOf(t testing.TB, file string) *eval.Network {
	t.Helper()
	out, stderr, err := nixEval("-A", "plan", file)
	if err != nil {
		t.Fatalf("evaluating the plan of %s: %v\n%s", file, err, stderr)
	}
	n, err := eval.DecodePlan(out)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeSpec writes a generated network (the user module as JSON) to a file.
func writeSpec(t testing.TB, spec any) string {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// planOfSpec evaluates the plan of a generated network.
func planOfSpec(t testing.TB, specFile string) (*eval.Network, error) {
	out, stderr, err := nixEval("-A", "plan", "--argstr", "spec", specFile, testdata("from-json.nix"))
	if err != nil {
		return nil, &nixError{err: err, stderr: stderr}
	}
	return eval.DecodePlan(out)
}

type nixError struct {
	err    error
	stderr string
}

func (e *nixError) Error() string { return e.err.Error() + "\n" + e.stderr }

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
