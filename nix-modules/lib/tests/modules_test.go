// Package libtests runs the bundled module system (nix-modules/lib) against the real
// nix-instantiate: the table of cases in cases.txt evaluates tiny fixture modules from
// modules/ through driver.nix and compares values or expected error messages.
//
// Case lines (cases.txt):
//
//	value  PATH  JSON              FILE...   the value at PATH equals JSON
//	match  PATH  JSON              FILE...   the value at PATH contains JSON (objects: subset)
//	error  PATH  "substr"|[...]    FILE...   evaluating PATH fails; stderr has every substring
//
// A value or match line ending in "# bundled: REASON" tests what only the bundled lib
// has; the others hold with nixpkgs' own lib too (TestModuleSystemCasesOnNixpkgsLib).
//
// PATH is a dotted path into { config, options, _module, docs, docsByName } (quote parts
// that contain dots: config.dns."a.test".x; numbers index lists). "$M" in JSON stands
// for the absolute path of modules/. Value cases run in one batched nix-instantiate
// (each case inside builtins.tryEval); a case that fails there is re-run on its own to
// report the message. Error cases run one nix-instantiate each, in parallel.
package libtests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

type msCase struct {
	Name     string   `json:"name"`
	Path     []string `json:"path"`
	Files    []string `json:"files"`
	kind     string
	line     int
	expected any      // value/match
	substrs  []string // error
	// bundledOnly: the line ends in "# bundled: REASON": what it tests is the bundled
	// lib's own (left out of the run on nixpkgs' lib).
	bundledOnly bool
}

func msTestsDir() string { return filepath.Join(testutil.NixModules(), "lib", "tests") }

// msSplitPath splits a.b."c.d".e into [a b c.d e]; inside quotes, \" is a quote.
func msSplitPath(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	quoted, had, escaped := false, false, false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
			had = true
		case r == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
			had = false
		default:
			cur.WriteRune(r)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if cur.Len() > 0 || had {
		parts = append(parts, cur.String())
	}
	return parts, nil
}

func msParseCases(t *testing.T) []msCase {
	t.Helper()
	file := filepath.Join(msTestsDir(), "cases.txt")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	modulesDir := filepath.Join(msTestsDir(), "modules")
	var cases []msCase
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, " ", 2)
		kind := fields[0]
		if len(fields) < 2 {
			t.Fatalf("cases.txt:%d: incomplete line", n)
		}
		rest := strings.TrimLeft(fields[1], " ")
		pathEnd := strings.IndexByte(rest, ' ')
		if pathEnd < 0 {
			t.Fatalf("cases.txt:%d: missing expectation", n)
		}
		path, err := msSplitPath(rest[:pathEnd])
		if err != nil {
			t.Fatalf("cases.txt:%d: %v", n, err)
		}
		rest = strings.ReplaceAll(rest[pathEnd+1:], "$M", modulesDir)
		bundledOnly := false
		if i := strings.LastIndex(rest, " # bundled:"); i >= 0 {
			if strings.TrimSpace(rest[i+len(" # bundled:"):]) == "" {
				t.Fatalf("cases.txt:%d: `# bundled:' needs the reason", n)
			}
			rest, bundledOnly = rest[:i], true
		}
		dec := json.NewDecoder(strings.NewReader(rest))
		var expected any
		if err := dec.Decode(&expected); err != nil {
			t.Fatalf("cases.txt:%d: bad JSON expectation: %v", n, err)
		}
		files := strings.Fields(rest[dec.InputOffset():])
		if len(files) == 0 {
			t.Fatalf("cases.txt:%d: no fixture files", n)
		}
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(modulesDir, f)); err != nil {
				t.Fatalf("cases.txt:%d: fixture: %v", n, err)
			}
		}
		c := msCase{
			Name:  fmt.Sprintf("L%03d_%s_%s", n, strings.Join(path, "."), strings.TrimSuffix(files[len(files)-1], ".nix")),
			Path:  path,
			Files: files,
			kind:  kind,
			line:  n,

			bundledOnly: bundledOnly,
		}
		switch kind {
		case "value", "match":
			c.expected = expected
		case "error":
			switch e := expected.(type) {
			case string:
				c.substrs = []string{e}
			case []any:
				for _, s := range e {
					str, ok := s.(string)
					if !ok {
						t.Fatalf("cases.txt:%d: error expectations must be strings", n)
					}
					c.substrs = append(c.substrs, str)
				}
			default:
				t.Fatalf("cases.txt:%d: error expectation must be a string or a list of strings", n)
			}
		default:
			t.Fatalf("cases.txt:%d: unknown kind %q", n, kind)
		}
		if seen[c.Name] {
			t.Fatalf("cases.txt:%d: duplicate case %s", n, c.Name)
		}
		seen[c.Name] = true
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// msRunDriver evaluates cases with driver.nix and returns stdout and stderr.
func msRunDriver(ctx context.Context, mode string, cases []msCase) ([]byte, []byte, error) {
	return msRunDriverWith(ctx, "", mode, cases)
}

// msRunDriverWith is msRunDriver with another lib (a directory with default.nix; ""
// for the bundled one).
func msRunDriverWith(ctx context.Context, lib, mode string, cases []msCase) ([]byte, []byte, error) {
	arg, err := json.Marshal(cases)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, "nix-instantiate", "--eval", "--strict", "--json",
		filepath.Join(msTestsDir(), "driver.nix"),
		"--argstr", "mode", mode, "--argstr", "cases", string(arg), "--argstr", "lib", lib)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// msContains reports whether want is a subset of got: objects by key, lists element by
// element (same length), other values equal.
func msContains(got, want any) bool {
	if wl, ok := want.([]any); ok {
		gl, ok := got.([]any)
		if !ok || len(gl) != len(wl) {
			return false
		}
		for i := range wl {
			if !msContains(gl[i], wl[i]) {
				return false
			}
		}
		return true
	}
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(got, want)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, wv := range wm {
		gv, ok := gm[k]
		if !ok || !msContains(gv, wv) {
			return false
		}
	}
	return true
}

func msCheckValue(t *testing.T, c msCase, got any) {
	t.Helper()
	ok := false
	if c.kind == "match" {
		ok = msContains(got, c.expected)
	} else {
		ok = reflect.DeepEqual(got, c.expected)
	}
	if !ok {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(c.expected)
		t.Errorf("cases.txt:%d: %s of %v\n got: %s\nwant: %s", c.line, strings.Join(c.Path, "."), c.Files, g, w)
	}
}

func msRunSingleValue(t *testing.T, c msCase) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, stderr, err := msRunDriver(ctx, "single", []msCase{c})
	if err != nil {
		t.Fatalf("cases.txt:%d: evaluation failed: %v\n%s", c.line, err, stderr)
	}
	var got any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("cases.txt:%d: output is not JSON: %v\n%s", c.line, err, out)
	}
	msCheckValue(t, c, got)
}

func TestModuleSystemCases(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	cases := msParseCases(t)
	if len(cases) < 120 {
		t.Errorf("only %d cases; the suite should keep well over 120", len(cases))
	}

	var values, errs []msCase
	for _, c := range cases {
		if c.kind == "error" {
			errs = append(errs, c)
		} else {
			values = append(values, c)
		}
	}

	// One batched evaluation for all value cases.
	type result struct {
		OK    bool `json:"ok"`
		Value any  `json:"value"`
	}
	results := map[string]result{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, stderr, batchErr := msRunDriver(ctx, "batch", values)
	if batchErr == nil {
		if err := json.Unmarshal(out, &results); err != nil {
			batchErr = err
		}
	}
	if batchErr != nil {
		t.Logf("batched evaluation failed (%v), running value cases one by one:\n%s", batchErr, stderr)
	}

	t.Run("value", func(t *testing.T) {
		for _, c := range values {
			c := c
			t.Run(c.Name, func(t *testing.T) {
				r, ok := results[c.Name]
				if batchErr == nil && ok && r.OK {
					msCheckValue(t, c, r.Value)
					return
				}
				t.Parallel()
				msRunSingleValue(t, c) // reports the evaluation error
			})
		}
	})

	t.Run("error", func(t *testing.T) {
		for _, c := range errs {
			c := c
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel() // bounded by -parallel (GOMAXPROCS)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				out, stderr, err := msRunDriver(ctx, "single", []msCase{c})
				if err == nil {
					t.Fatalf("cases.txt:%d: expected an evaluation error, got %s", c.line, out)
				}
				if _, isExit := err.(*exec.ExitError); !isExit {
					t.Fatalf("cases.txt:%d: running nix-instantiate: %v", c.line, err)
				}
				msg := string(stderr)
				for _, s := range c.substrs {
					if !strings.Contains(msg, s) {
						t.Errorf("cases.txt:%d: error message lacks %q:\n%s", c.line, s, msg)
					}
				}
			})
		}
	})
}

// TestModuleSystemCasesOnNixpkgsLib runs the value cases of cases.txt with nixpkgs' own
// lib (the newest NIXMESH_NIXPKGS_LIB entry, whose surface the bundled lib follows):
// each expected value is nixpkgs' behaviour, not only the bundled lib's idea of it (the
// order of definitions, say). Cases marked `bundled` test what only the bundled lib has
// (positions of definitions, its own messages and introspection); they are left out
// here. Opt-in: needs nixpkgs' lib.
func TestModuleSystemCasesOnNixpkgsLib(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	libs := testutil.NixpkgsLibs(t)
	libs = libs[len(libs)-1:]
	var values []msCase
	for _, c := range msParseCases(t) {
		if c.kind != "error" && !c.bundledOnly {
			values = append(values, c)
		}
	}
	for _, libDir := range libs {
		t.Run(testutil.LibName(libDir), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			results := map[string]struct {
				OK    bool `json:"ok"`
				Value any  `json:"value"`
			}{}
			out, stderr, err := msRunDriverWith(ctx, libDir, "batch", values)
			if err == nil {
				err = json.Unmarshal(out, &results)
			}
			if err != nil {
				// A case that aborts (nixpkgs' lib aborts where tryEval cannot catch it)
				// stops the batch: then every case on its own.
				t.Logf("batched evaluation on %s failed (%v), running the cases one by one:\n%s", libDir, err, stderr)
				for _, c := range values {
					c := c
					t.Run(c.Name, func(t *testing.T) {
						t.Parallel() // runs after the batch's context is gone: its own
						ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
						defer cancel()
						out, stderr, err := msRunDriverWith(ctx, libDir, "single", []msCase{c})
						if err != nil {
							t.Fatalf("cases.txt:%d: %s of %v does not evaluate with nixpkgs' lib (mark the case `bundled' if it tests what only the bundled lib has):\n%s", c.line, strings.Join(c.Path, "."), c.Files, stderr)
						}
						var got any
						if err := json.Unmarshal(out, &got); err != nil {
							t.Fatal(err)
						}
						msCheckValue(t, c, got)
					})
				}
				return
			}
			for _, c := range values {
				r := results[c.Name]
				if !r.OK {
					t.Errorf("cases.txt:%d: %s of %v does not evaluate with nixpkgs' lib (mark the case `bundled' if it tests what only the bundled lib has)", c.line, strings.Join(c.Path, "."), c.Files)
					continue
				}
				msCheckValue(t, c, r.Value)
			}
		})
	}
}

func TestModuleCasesSplitPath(t *testing.T) {
	got, err := msSplitPath(`config.dns."a.test.".x.0."\"q\""`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"config", "dns", "a.test.", "x", "0", `"q"`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
	if _, err := msSplitPath(`a."b`); err == nil {
		t.Fatal("unterminated quote accepted")
	}
}

// TestModuleCasesHarness checks the pieces the table relies on: subset matching rejects
// what it should, and the batched driver reports a throwing case as not ok without
// losing the others.
func TestModuleCasesHarness(t *testing.T) {
	for _, tc := range []struct {
		got, want any
		ok        bool
	}{
		{map[string]any{"a": 1.0, "b": 2.0}, map[string]any{"a": 1.0}, true},
		{map[string]any{"a": 1.0}, map[string]any{"a": 2.0}, false},
		{map[string]any{"a": 1.0}, map[string]any{"c": 1.0}, false},
		{[]any{map[string]any{"a": 1.0, "x": 0.0}}, []any{map[string]any{"a": 1.0}}, true},
		{[]any{1.0, 2.0}, []any{1.0}, false},
		{"s", map[string]any{}, false},
	} {
		if got := msContains(tc.got, tc.want); got != tc.ok {
			t.Errorf("msContains(%v, %v) = %v, want %v", tc.got, tc.want, got, tc.ok)
		}
	}

	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	cases := []msCase{
		{Name: "good", Path: []string{"config", "int"}, Files: []string{"decl-basic.nix", "def-plain.nix"}},
		{Name: "throws", Path: []string{"config", "str"}, Files: []string{"decl-basic.nix"}},
		{Name: "missing", Path: []string{"config", "nope"}, Files: []string{"decl-basic.nix"}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, stderr, err := msRunDriver(ctx, "batch", cases)
	if err != nil {
		t.Fatalf("batch failed: %v\n%s", err, stderr)
	}
	var res map[string]struct {
		OK    bool `json:"ok"`
		Value any  `json:"value"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if r := res["good"]; !r.OK || r.Value != 5.0 {
		t.Errorf("good case: %+v, want ok with 5", r)
	}
	if res["throws"].OK || res["missing"].OK {
		t.Errorf("failing cases reported ok: %+v", res)
	}
}

// either, where neither of its types takes every definition (a freeformType of either,
// which gets the unmatched attributes as one set): the value is kept, with a warning
// that says what to write instead; NIX_ABORT_ON_WARN makes the warning an error.
func TestEitherWarnsWhenNeitherTypeTakesAll(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	expr := `let lib = import ` + filepath.Join(testutil.NixModules(), "lib") + `; in (lib.evalModules { modules = [
	  { options.free = lib.mkOption { type = lib.types.submodule { freeformType = lib.types.either lib.types.int lib.types.bool; }; }; }
	  { free.port = 80; }
	]; }).config.free.port`
	run := func(env ...string) (string, string, error) {
		cmd := exec.Command("nix-instantiate", "--eval", "--strict", "-E", expr)
		cmd.Env = append(testutil.NixEnv(), env...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return strings.TrimSpace(out.String()), errOut.String(), err
	}
	out, stderr, err := run()
	if err != nil || out != "80" || !strings.Contains(stderr, "did not pass the type-check of the 'either' type") ||
		!strings.Contains(stderr, "types.attrsOf (types.either") {
		t.Errorf("want 80 with the warning: %v, %q\n%s", err, out, stderr)
	}
	if _, stderr, err := run("NIX_ABORT_ON_WARN=1"); err == nil || !strings.Contains(stderr, "'either' type") {
		t.Errorf("NIX_ABORT_ON_WARN=1: want an error, got %v\n%s", err, stderr)
	}
}
