package libtests

// Tests of the general helpers of the bundled lib (trivial, lists, strings, attrsets,
// network). The cases live in helpers/*.nix as { expr; expected; } fixtures; the
// driver helpers/driver.nix evaluates them all in one nix-instantiate and reports each
// as a subtest here (TestHelpers/<section>/<case>). helpers/errors.nix holds cases
// whose error message is checked, one evaluation each.

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// helpersCase is one fixture case as reported by the driver.
type helpersCase struct {
	Name     string `json:"name"` // "<section>/<case>"
	OK       bool   `json:"ok"`
	Expr     string `json:"expr"`     // rendered value of expr, or "<error>"
	Expected string `json:"expected"` // rendered expected value, or "<error>"
}

// helpersReport is the driver's `report` attribute.
type helpersReport struct {
	Results []helpersCase     `json:"results"`
	Errors  map[string]string `json:"errors"` // error case -> expected message substring
}

func helpersDriver() string {
	return filepath.Join(testutil.NixModules(), "lib", "tests", "helpers", "driver.nix")
}

// helpersEval runs nix-instantiate --eval --strict --json on the driver with the given
// extra arguments and returns stdout, stderr and the command's error.
func helpersEval(t *testing.T, args ...string) ([]byte, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"--eval", "--strict", "--json", helpersDriver()}, args...)
	cmd := exec.CommandContext(ctx, "nix-instantiate", argv...)
	cmd.Env = testutil.NixEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.String(), err
}

// helpersLoadReport evaluates the driver's report (optionally for one section only).
func helpersLoadReport(t *testing.T, section string) helpersReport {
	t.Helper()
	args := []string{"-A", "report"}
	if section != "" {
		args = append(args, "--argstr", "section", section)
	}
	out, stderr, err := helpersEval(t, args...)
	if err != nil {
		t.Fatalf("evaluating the helpers driver: %v\n%s", err, stderr)
	}
	var r helpersReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("decoding the driver's report: %v\n%s", err, out)
	}
	return r
}

func TestHelpers(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	report := helpersLoadReport(t, "")

	// Guard against a fixture file silently dropping out of the run.
	const minCases = 320
	if len(report.Results) < minCases {
		t.Fatalf("driver reported %d cases, want at least %d", len(report.Results), minCases)
	}
	perSection := map[string]int{}
	for _, c := range report.Results {
		section, name, _ := strings.Cut(c.Name, "/")
		perSection[section]++
		t.Run(section+"/"+name, func(t *testing.T) {
			if !c.OK {
				t.Errorf("%s\n  got:      %s\n  expected: %s", c.Name, c.Expr, c.Expected)
			}
		})
	}
	for _, s := range []string{"trivial", "lists", "strings", "attrsets", "sections", "filesystem", "network", "exports"} {
		if perSection[s] == 0 {
			t.Errorf("no cases reported for section %q", s)
		}
	}
}

func TestHelpersErrorMessages(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	report := helpersLoadReport(t, "trivial")
	if len(report.Errors) < 10 {
		t.Fatalf("driver listed %d error cases, want at least 10", len(report.Errors))
	}
	names := make([]string, 0, len(report.Errors))
	for n := range report.Errors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		want := report.Errors[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, stderr, err := helpersEval(t, "-A", "errorValue", "--argstr", "errorCase", name)
			if err == nil {
				t.Fatalf("evaluated to %s, want an error containing %q", bytes.TrimSpace(out), want)
			}
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("running nix-instantiate: %v", err)
			}
			if !strings.Contains(stderr, want) {
				t.Errorf("error message does not contain %q:\n%s", want, stderr)
			}
		})
	}
}

// TestHelpersDriverReportsFailures checks the driver itself: every case of
// helpers/selftest.nix is wrong on purpose and must be reported as failing.
func TestHelpersDriverReportsFailures(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	report := helpersLoadReport(t, "selftest")
	if len(report.Results) != 7 {
		t.Fatalf("driver reported %d selftest cases, want 7", len(report.Results))
	}
	for _, c := range report.Results {
		if c.OK {
			t.Errorf("driver reported deliberately wrong case %s as passing (got %s, expected %s)", c.Name, c.Expr, c.Expected)
		}
	}
}
