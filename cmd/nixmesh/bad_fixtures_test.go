package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
	nixmodulestests "github.com/nixmesh/nixmesh/nix-modules/tests"
)

// TestBadFixturesThroughEval runs every malformed deployment of nix-modules/tests/bad
// through `nixmesh eval`: each must exit 3 with a diagnostic that names the option path
// (as its "option:" line), points "at:" the expected file and line, and carries every
// expected message substring — without --show-trace's raw dump.
func TestBadFixturesThroughEval(t *testing.T) {
	dir := nixmodulestests.Dir()
	if _, err := os.Stat(filepath.Join(dir, "bad")); os.IsNotExist(err) {
		t.Skip("nix-modules/tests/bad does not exist yet")
	}
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	fixtures, err := nixmodulestests.LoadBadFixtures(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			var stderr, out bytes.Buffer
			g := &globalOptions{File: fx.Path, Stderr: &stderr}
			err := runEval(context.Background(), evalOptions{global: g}, &out)
			if err == nil {
				t.Fatalf("evaluated without error; output:\n%s", out.String())
			}
			var msg bytes.Buffer
			if code := reportError(&msg, err, false); code != exitEval {
				t.Fatalf("exit %d, want %d; message:\n%s", code, exitEval, msg.String())
			}
			printed := msg.String()
			if fx.OptPath != "" && !strings.Contains(printed, "\n  option: "+fx.OptPath+"\n") {
				t.Errorf("diagnostic does not name option %s:\n%s", fx.OptPath, printed)
			}
			at := ""
			for _, l := range strings.Split(printed, "\n") {
				if strings.HasPrefix(l, "  at:     ") {
					at = l
					break
				}
			}
			if fx.Line > 0 {
				if want := fmt.Sprintf("%s:%d", fx.File, fx.Line); !strings.Contains(at, "/"+want) {
					t.Errorf("diagnostic is not at %s (at line %q):\n%s", want, at, printed)
				}
			} else if !strings.Contains(printed, fx.File) {
				t.Errorf("diagnostic does not name the file %s:\n%s", fx.File, printed)
			}
			for _, e := range fx.Expect {
				if !strings.Contains(printed, e) {
					t.Errorf("diagnostic lacks %q:\n%s", e, printed)
				}
			}
			if strings.Contains(printed, "… while evaluating") {
				t.Errorf("diagnostic dumps Nix's trace without --show-trace:\n%s", printed)
			}
		})
	}
}
