package libtests

// The bundled lib against nixpkgs' own lib (NIXMESH_NIXPKGS_LIB; not run without):
//
//   - TestSurfaceMatchesNixpkgs: the names, at the top and in each section, are
//     nixpkgs' (the newest entry's): none that nixpkgs lacks (a module using one would
//     break on NixOS), and every one nixpkgs has except those helpers/not-bundled.json
//     lists with a reason (which must really be missing: the list is kept exact).
//   - TestHelpersMatchNixpkgs: the helper fixtures (helpers/*.nix) evaluated with
//     nixpkgs' lib give the expected values too, so what they expect is nixpkgs'
//     behaviour and not only ours.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// surfaceSections are the sections compared name by name: those the bundled lib has.
var surfaceSections = []string{
	"asserts", "attrsets", "cli", "debug", "filesystem", "fixedPoints", "generators", "lists",
	"modules", "options", "strings", "stringsWithDeps", "trivial", "types", "versions",
}

type libSurface struct {
	Top      []string            `json:"top"`
	Sections map[string][]string `json:"sections"`
}

// surfaceOf lists a lib's top-level names and the names of the given sections.
func surfaceOf(t *testing.T, libExpr string) libSurface {
	t.Helper()
	quoted := make([]string, len(surfaceSections))
	for i, s := range surfaceSections {
		quoted[i] = `"` + s + `"`
	}
	expr := `let l = ` + libExpr + `; in {
	  top = builtins.attrNames l;
	  sections = builtins.listToAttrs (map (s: { name = s; value = if l ? ${s} then builtins.attrNames l.${s} else [ ]; }) [ ` + strings.Join(quoted, " ") + ` ]);
	}`
	cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-E", expr)
	cmd.Env = testutil.NixEnv()
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("listing the names of %s: %v\n%s", libExpr, err, stderr)
	}
	var s libSurface
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("decoding the names of %s: %v", libExpr, err)
	}
	return s
}

// notBundled reads helpers/not-bundled.json: name ("x" at the top, "section.x" in a
// section) -> reason.
func notBundled(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.NixModules(), "lib", "tests", "helpers", "not-bundled.json"))
	if err != nil {
		t.Fatal(err)
	}
	var byReason map[string][]string
	if err := json.Unmarshal(data, &byReason); err != nil {
		t.Fatalf("not-bundled.json: %v", err)
	}
	m := map[string]string{}
	for reason, names := range byReason {
		for _, n := range names {
			if _, dup := m[n]; dup {
				t.Errorf("not-bundled.json lists %q twice", n)
			}
			m[n] = reason
		}
	}
	return m
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// newestLib is the last NIXMESH_NIXPKGS_LIB entry (the list runs oldest first).
func newestLib(t *testing.T) string {
	libs := testutil.NixpkgsLibs(t)
	return libs[len(libs)-1]
}

func TestSurfaceMatchesNixpkgs(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	newest := newestLib(t)
	theirs := surfaceOf(t, `import `+newest)
	ours := surfaceOf(t, `import `+filepath.Join(testutil.NixModules(), "lib"))
	skip := notBundled(t)

	compare := func(where, prefix string, oursNames, theirNames []string) {
		o, n := setOf(oursNames), setOf(theirNames)
		var extra, missing, stale []string
		for name := range o {
			if !n[name] {
				extra = append(extra, name)
			}
			if _, listed := skip[prefix+name]; listed {
				stale = append(stale, prefix+name)
			}
		}
		for name := range n {
			if !o[name] {
				if _, listed := skip[prefix+name]; !listed {
					missing = append(missing, name)
				}
			}
		}
		sort.Strings(extra)
		sort.Strings(missing)
		sort.Strings(stale)
		if len(extra) > 0 {
			t.Errorf("%s: the bundled lib has %s, which nixpkgs' (%s) has not there: a module using them would fail on NixOS", where, strings.Join(extra, ", "), newest)
		}
		if len(missing) > 0 {
			t.Errorf("%s: nixpkgs has %s; the bundled lib has not, and not-bundled.json does not say why", where, strings.Join(missing, ", "))
		}
		if len(stale) > 0 {
			t.Errorf("not-bundled.json lists %s, which the bundled lib has", strings.Join(stale, ", "))
		}
	}
	compare("lib", "", ours.Top, theirs.Top)
	for _, s := range surfaceSections {
		compare("lib."+s, s+".", ours.Sections[s], theirs.Sections[s])
	}
	t.Logf("compared with %s: %d names at the top, %d sections; %d names not bundled (not-bundled.json)", newest, len(theirs.Top), len(surfaceSections), len(skip))
}

// parityExceptions are fixture cases whose expected value is deliberately not what
// nixpkgs' lib gives under Debian's Nix 2.8, and why.
var parityExceptions = map[string]string{
	"strings/toIntBase10NegativeLeadingZero": `nixpkgs' toIntBase10 fails on " -07 " under Nix 2.8 (its builtins.fromJSON rejects "-07"); the bundled lib reads -7`,
}

// parityUncomparable are fixture cases no NIXMESH_NIXPKGS_LIB entry can evaluate under
// Nix 2.8, and why.
var parityUncomparable = map[string]string{
	"filesystem/resolveDefaultNix": "nixpkgs added it after 2024-11 in a filesystem.nix that needs builtins.readFileType (Nix 2.14)",
}

// helperFixtures are the fixture files whose cases are nixpkgs behaviour (network.nix and
// exports.nix are about the bundled lib itself).
var helperFixtures = []string{"trivial", "lists", "strings", "attrsets", "sections", "filesystem"}

func TestHelpersMatchNixpkgs(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	libs := testutil.NixpkgsLibs(t)
	for _, section := range helperFixtures {
		t.Run(section, func(t *testing.T) {
			// Newest entry first; cases the newest cannot evaluate (a name it lacks, a
			// builtin Nix 2.8 lacks) are tried one by one, then on older entries.
			pending := map[string]bool{}
			first := true
			compared := 0
			for i := len(libs) - 1; i >= 0 && (first || len(pending) > 0); i-- {
				lib := libs[i]
				var results []helpersCase
				if first {
					rs, ok := parityRun(t, lib, section, "")
					first = false
					if ok {
						results = rs
					} else {
						// Learn the case names from our own run, then go one by one.
						for _, c := range helpersLoadReport(t, section).Results {
							_, name, _ := strings.Cut(c.Name, "/")
							pending[name] = true
						}
					}
				}
				if results == nil {
					for name := range pending {
						if rs, ok := parityRun(t, lib, section, name); ok {
							results = append(results, rs...)
						}
					}
				}
				for _, c := range results {
					_, name, _ := strings.Cut(c.Name, "/")
					delete(pending, name)
					compared++
					if c.OK {
						continue
					}
					if why, ok := parityExceptions[c.Name]; ok {
						t.Logf("%s differs on purpose: %s", c.Name, why)
						continue
					}
					t.Errorf("%s with nixpkgs' lib %s:\n  got:      %s\n  expected: %s", c.Name, lib, c.Expr, c.Expected)
				}
			}
			for name := range pending {
				full := section + "/" + name
				if why, ok := parityUncomparable[full]; ok {
					t.Logf("%s not compared: %s", full, why)
					continue
				}
				t.Errorf("%s: no nixpkgs lib in %s evaluates it", full, testutil.NixpkgsLibEnv)
			}
			if compared == 0 {
				t.Fatalf("no case of %s was compared", section)
			}
		})
	}
}

// parityRun evaluates one fixture file (or one case of it) with the lib at libDir; ok is
// false when the evaluation fails as a whole (a missing name aborts it).
func parityRun(t *testing.T, libDir, section, name string) ([]helpersCase, bool) {
	t.Helper()
	args := []string{"-A", "report.results", "--argstr", "section", section, "--arg", "lib", "import " + libDir}
	if name != "" {
		args = append(args, "--argstr", "case", name)
	}
	out, _, err := helpersEval(t, args...)
	if err != nil {
		return nil, false
	}
	var rs []helpersCase
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("decoding the results of %s with %s: %v", section, libDir, err)
	}
	return rs, true
}
