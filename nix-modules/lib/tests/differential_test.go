package libtests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestRandomModulesMatchNixpkgs evaluates random sets of modules, the same with the
// bundled lib and with nixpkgs' own (each NIXMESH_NIXPKGS_LIB entry), and wants
// the same result from both: each set's values, or an error from both. The modules
// define list, int, lines, attrsOf, lazyAttrsOf, either, nullOr, attrsOf-submodule,
// freeform-submodule and nested-submodule options (that submodule declared
// a second time in a third of the sets), through imports two levels deep, with mkIf,
// mkMerge, mkOverride and mkOrder in random nestings (some
// nestings nixpkgs refuses: then both must fail). This is what found that the bundled
// lib merged modules in the opposite order to nixpkgs (lists and lines came out
// reversed against NixOS) and accepted mkForce (mkIf ..) and mkIf in a default, which
// NixOS refuses. Opt-in: needs nixpkgs' lib.
func TestRandomModulesMatchNixpkgs(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	libs := testutil.NixpkgsLibs(t)

	const sets = 400
	expr := randomModuleSets(rand.New(rand.NewSource(20261203)), sets)
	file := filepath.Join(t.TempDir(), "sets.nix")
	if err := os.WriteFile(file, []byte(expr), 0o644); err != nil {
		t.Fatal(err)
	}
	eval := func(t *testing.T, lib string) []any {
		t.Helper()
		cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json",
			"-E", fmt.Sprintf("import %s (import %s)", file, lib))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("evaluating the module sets with %s: %v\n%s", lib, err, stderr.String())
		}
		var out []any
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		if len(out) != sets {
			t.Fatalf("%d results from %s, want %d", len(out), lib, sets)
		}
		return out
	}
	bundled := eval(t, filepath.Join(testutil.NixModules(), "lib"))
	lines := strings.Split(expr, "\n")
	// Every entry: the module system has merged this way since before 2022, so the
	// oldest nixpkgs agrees as the newest does.
	for _, lib := range libs {
		t.Run(testutil.LibName(lib), func(t *testing.T) {
			theirs := eval(t, lib)
			ok, differ := 0, 0
			for i := range bundled {
				g, _ := json.Marshal(bundled[i])
				w, _ := json.Marshal(theirs[i])
				if string(g) != string(w) {
					differ++
					if differ <= 5 {
						t.Errorf("module set %d:\n%s\nbundled lib: %s\nnixpkgs' lib: %s", i, moduleSetLine(lines, i), g, w)
					}
					continue
				}
				if theirs[i] != "ERROR" {
					ok++
				}
			}
			if differ > 5 {
				t.Errorf("... %d module sets differ in all", differ)
			}
			// The generator must produce enough sets that evaluate, or the comparison
			// of errors alone would prove little.
			if ok < sets/5 {
				t.Errorf("only %d of %d module sets evaluate with nixpkgs' lib; the generator should keep at least a fifth valid", ok, sets)
			}
			t.Logf("%d module sets: %d evaluate, %d fail, on both libs alike", sets, ok, sets-ok)
		})
	}
}

func moduleSetLine(lines []string, i int) string {
	prefix := fmt.Sprintf("  (run %d [", i)
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return "?"
}

// randomModuleSets writes a Nix function of a lib returning, for each random module
// set, its options' values (forced) or "ERROR".
func randomModuleSets(r *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteString(`lib:
let
  inherit (lib) mkIf mkMerge mkOverride mkOrder mkOption types;
  decl = {
    options = {
      l = mkOption { type = types.listOf types.int; default = [ ]; };
      i = mkOption { type = types.int; default = 0; };
      s = mkOption { type = types.lines; default = ""; };
      a = mkOption { type = types.attrsOf types.int; default = { }; };
      sub = mkOption { type = types.submodule { options.l = mkOption { type = types.listOf types.int; default = [ ]; }; }; default = { }; };
      e = mkOption { type = types.either types.int (types.listOf types.int); default = [ ]; };
      n = mkOption { type = types.nullOr (types.listOf types.int); default = null; };
      z = mkOption { type = types.lazyAttrsOf types.int; default = { }; };
      as = mkOption { type = types.attrsOf (types.submodule { options.x = mkOption { type = types.listOf types.int; default = [ ]; }; }); default = { }; };
      ff = mkOption { type = types.submodule { freeformType = types.attrsOf (types.listOf types.int); }; default = { }; };
    };
  };
  # A second declaration of sub, its type with a module of its own that defines the list.
  decl2 = { options.sub = mkOption { type = types.submodule { config.l = [ 7 ]; }; }; };
  run = n: mods:
    let
      r = builtins.tryEval (
        let c = (lib.evalModules { modules = [ decl ] ++ mods; }).config;
            v = { inherit (c) l i s a e n z as ff; sl = c.sub.l; };
        in builtins.deepSeq v v);
    in if r.success then r.value else "ERROR";
in [
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  (run %d [", i)
		mods := make([]string, 1+r.Intn(4))
		for m := range mods {
			mods[m] = randomModule(r, 0)
		}
		if r.Intn(3) == 0 {
			at := r.Intn(len(mods) + 1)
			mods = append(mods[:at], append([]string{"decl2"}, mods[at:]...)...)
		}
		for _, m := range mods {
			b.WriteString(" " + m)
		}
		b.WriteString(" ])\n")
	}
	b.WriteString("]\n")
	return b.String()
}

func randomModule(r *rand.Rand, depth int) string {
	var defs []string
	for _, o := range []struct{ path, kind string }{{"l", "list"}, {"i", "int"}, {"s", "lines"}, {"a", "attrs"}, {"sub.l", "list"},
		{"e", "list"}, {"n", "list"}, {"z", "attrs"}, {"as", "subattrs"}, {"ff", "freeform"}} {
		p := 0.5
		if o.kind == "int" {
			p = 0.12 // an int defined twice is an error: keep most sets valid
		}
		if r.Float64() < p {
			defs = append(defs, fmt.Sprintf("%s = %s;", o.path, randomDefinition(r, o.kind, 0)))
		}
	}
	var imports []string
	if depth < 2 {
		for k := r.Intn(3); k > 0; k-- {
			imports = append(imports, randomModule(r, depth+1))
		}
	}
	return fmt.Sprintf("{ imports = [ %s ]; config = { %s }; }", strings.Join(imports, " "), strings.Join(defs, " "))
}

// randomDefinition wraps a value in properties: mostly in the nestings the module system
// takes (mkIf and mkMerge outside, then mkOverride, then mkOrder), sometimes (one in ten
// inner wrappers) in one it refuses.
func randomDefinition(r *rand.Rand, kind string, depth int) string {
	return randomNested(r, kind, depth, 0)
}

// level: 0 outside any property or inside mkIf/mkMerge, 1 inside mkOverride, 2 inside mkOrder.
func randomNested(r *rand.Rand, kind string, depth, level int) string {
	var v string
	switch kind {
	case "list":
		var xs []string
		for k := r.Intn(4); k > 0; k-- {
			xs = append(xs, fmt.Sprint(r.Intn(10)))
		}
		v = "[ " + strings.Join(xs, " ") + " ]"
	case "int":
		v = fmt.Sprint(r.Intn(10))
	case "lines":
		v = fmt.Sprintf("%q", fmt.Sprintf("line%d", r.Intn(10)))
	case "attrs":
		var kv []string
		for _, k := range r.Perm(4)[:r.Intn(3)] {
			kv = append(kv, fmt.Sprintf("k%d = %d;", k, r.Intn(10)))
		}
		v = "{ " + strings.Join(kv, " ") + " }"
	case "subattrs", "freeform":
		// Attribute sets of lists, the lists with properties of their own (inside a
		// submodule, after the attribute sets' properties were pushed down to them).
		var kv []string
		for _, k := range r.Perm(3)[:r.Intn(3)] {
			if kind == "subattrs" {
				kv = append(kv, fmt.Sprintf("k%d.x = %s;", k, randomNested(r, "list", depth+1, 0)))
			} else {
				kv = append(kv, fmt.Sprintf("k%d = %s;", k, randomNested(r, "list", depth+1, 0)))
			}
		}
		v = "{ " + strings.Join(kv, " ") + " }"
	}
	if depth >= 2 {
		return v
	}
	if r.Intn(10) == 0 {
		level = 0 // any property, wherever
	}
	x := r.Float64()
	switch {
	case level == 0 && x < 0.12:
		return fmt.Sprintf("(mkIf %t %s)", r.Intn(2) == 0, randomNested(r, kind, depth+1, 0))
	case level == 0 && x < 0.20:
		return fmt.Sprintf("(mkMerge [ %s %s ])", randomNested(r, kind, depth+1, 0), randomNested(r, kind, depth+1, 0))
	case level == 0 && x < 0.28:
		return fmt.Sprintf("(mkOverride %d %s)", []int{50, 100, 1000, 1500}[r.Intn(4)], randomNested(r, kind, depth+1, 1))
	case level <= 1 && x < 0.36 && kind != "freeform":
		// (Not around a submodule's definition: nixpkgs' submodule fails on it with an
		// error tryEval cannot catch, which would end the whole batch; the bundled lib
		// refuses it too, see cases.txt.)
		return fmt.Sprintf("(mkOrder %d %s)", []int{500, 1000, 1500}[r.Intn(3)], randomNested(r, kind, depth+1, 2))
	}
	return v
}
