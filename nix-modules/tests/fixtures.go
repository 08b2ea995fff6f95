// Package nixmodulestests holds the Nix framework's fixture deployments and the tests
// that run them through nix-instantiate: bad/ (malformed deployments, each with the
// diagnostic it must produce) and good/ (small deployments with the plan they must
// produce). The fixture table is exported so that other front doors (the CLI's
// `nixmesh eval`) can run the same bad inputs; this package imports nothing of nixmesh
// but internal/testutil in its tests.
//
// # Header format of bad/*.nix
//
// Every fixture starts with comment lines of the form `# key: value`, read until the
// first line that is not such a comment:
//
//	# expect-path: nodes.web.port      the option path, reported as `nodes.web.port' (or
//	                                   as a path below it, `nodes.web.tags."[definition
//	                                   1-entry 2]"' for a list element; omitted when
//	                                   Nix itself, not the module system,
//	                                   reports the error: syntax errors, missing
//	                                   attributes)
//	# expect: is not of type           a substring of the message (repeatable; all must
//	                                   appear)
//	# expect-line: 7                   the fixture's line that the message must point at,
//	                                   as FILE:7 (only where the position is known)
//	# expect-file: other.nix           the file name the message must name, when it is not
//	                                   the fixture's own (e.g. an import of a missing file)
//
// Any other text before the code is free commentary (`# why: ...`). Each fixture is a
// whole deploy.nix: `nix-instantiate --eval --strict --json -A plan bad/NAME.nix` must
// exit non-zero with stderr containing the path in `...' quotes, the file name (the
// fixture's, or expect-file), FILE:LINE when expect-line is given, and every expect
// substring. `nixmesh eval` must exit 3 with a diagnostic carrying the same.
package nixmodulestests

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// BadFixture is one malformed deployment and the diagnostic it must produce.
type BadFixture struct {
	Name     string   // file name without .nix, e.g. "port-out-of-range"
	Path     string   // absolute path of the fixture
	OptPath  string   // expected option path ("" when the error has none)
	Expect   []string // substrings the message must contain
	Line     int      // expected line in File (0: not checked)
	File     string   // file name the message must name (default: the fixture's base name)
	Comments []string // free commentary lines from the header
}

// Dir returns the directory of this package's fixtures (bad/, good/).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// LoadBadFixtures reads every bad/*.nix below dir (normally Dir()), sorted by name.
func LoadBadFixtures(dir string) ([]BadFixture, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "bad", "*.nix"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []BadFixture
	for _, p := range paths {
		f, err := ParseBadFixture(p)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// ParseBadFixture reads the header of one fixture file.
func ParseBadFixture(path string) (BadFixture, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return BadFixture{}, err
	}
	fh, err := os.Open(abs)
	if err != nil {
		return BadFixture{}, err
	}
	defer fh.Close()

	fx := BadFixture{
		Name: strings.TrimSuffix(filepath.Base(abs), ".nix"),
		Path: abs,
		File: filepath.Base(abs),
	}
	sc := bufio.NewScanner(fh)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "#") {
			break
		}
		body := strings.TrimSpace(strings.TrimPrefix(line, "#"))
		key, value, ok := strings.Cut(body, ":")
		value = strings.TrimSpace(value)
		switch {
		case ok && key == "expect-path":
			fx.OptPath = value
		case ok && key == "expect":
			if value == "" {
				return fx, fmt.Errorf("%s:%d: empty expect", abs, lineNo)
			}
			fx.Expect = append(fx.Expect, value)
		case ok && key == "expect-line":
			n, err := strconv.Atoi(value)
			if err != nil || n <= 0 {
				return fx, fmt.Errorf("%s:%d: expect-line %q is not a positive number", abs, lineNo, value)
			}
			fx.Line = n
		case ok && key == "expect-file":
			fx.File = value
		default:
			fx.Comments = append(fx.Comments, body)
		}
	}
	if err := sc.Err(); err != nil {
		return fx, err
	}
	if len(fx.Expect) == 0 {
		return fx, fmt.Errorf("%s: no `# expect:` header", abs)
	}
	return fx, nil
}

// Check reports what the fixture's expectations find missing in stderr (nil when all hold).
func (f BadFixture) Check(stderr string) []string {
	var missing []string
	if f.OptPath != "" {
		// `a.b' exactly, or a path below it (`a.b."[definition 1-entry 2]"' for list elements).
		q := "`" + f.OptPath
		if !strings.Contains(stderr, q+"'") && !strings.Contains(stderr, q+".") {
			missing = append(missing, "option path "+q+"'")
		}
	}
	if !strings.Contains(stderr, f.File) {
		missing = append(missing, "file name "+f.File)
	}
	if f.Line > 0 {
		// FILE:LINE:COL from the module system, FILE:LINE from a cross-host check; the
		// line must not be the start of a longer number.
		loc := fmt.Sprintf("%s:%d", f.File, f.Line)
		if !regexp.MustCompile(regexp.QuoteMeta(loc) + `([^0-9]|$)`).MatchString(stderr) {
			missing = append(missing, "location "+loc)
		}
	}
	for _, e := range f.Expect {
		if !strings.Contains(stderr, e) {
			missing = append(missing, fmt.Sprintf("message %q", e))
		}
	}
	return missing
}
