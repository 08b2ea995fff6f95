package nixmodulestests

import (
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestBadInput runs every bad/*.nix (header format: see the package comment in
// fixtures.go) through `nix-instantiate --eval --strict --json -A plan` and requires a
// failure whose stderr names the option path, the file (and line, where given) and the
// expected message.
func TestBadInput(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	fixtures, err := LoadBadFixtures(Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) < 30 {
		t.Fatalf("only %d bad fixtures; the table is meant to hold at least 30", len(fixtures))
	}
	for _, fx := range fixtures {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-A", "plan", fx.Path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) {
				t.Fatalf("nix-instantiate succeeded (or did not run: %v); stdout:\n%s", err, stdout.String())
			}
			if missing := fx.Check(stderr.String()); len(missing) > 0 {
				t.Errorf("stderr lacks %s\nstderr:\n%s", strings.Join(missing, ", "), stderr.String())
			}
		})
	}
}

// TestFixtureHeaders keeps the table honest: every fixture says what it expects, and the
// checker really rejects a message that lacks any of it.
func TestFixtureHeaders(t *testing.T) {
	fixtures, err := LoadBadFixtures(Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		full := "error: `" + fx.OptPath + "' in /x/" + fx.File + ":" + strconv.Itoa(fx.Line) + ": " + strings.Join(fx.Expect, " ")
		if m := fx.Check(full); len(m) > 0 {
			t.Errorf("%s: checker rejects a complete message: %v", fx.Name, m)
		}
		if m := fx.Check("error: something else entirely"); len(m) == 0 {
			t.Errorf("%s: checker accepts an unrelated message", fx.Name)
		}
	}
}
