package nixmodulestests

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The framework's Nix files that run with nixpkgs' lib when a deployment gives `nixpkgs`
// (default.nix, modules/, nixos/, scripts/*.nix). The standalone schema and the bundled
// lib itself always run with the bundled lib and are not scanned.
func frameworkNixFiles(t *testing.T) []string {
	t.Helper()
	root := filepath.Dir(Dir())
	files := []string{filepath.Join(root, "default.nix")}
	for _, dir := range []string{"modules", "nixos", "scripts"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "tests" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".nix") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// libNames22_11 reads tests/lib-names-nixpkgs-22.11.txt.
func libNames22_11(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(Dir(), "lib-names-nixpkgs-22.11.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			names[l] = true
		}
	}
	if len(names) < 500 {
		t.Fatalf("names list has only %d names", len(names))
	}
	return names
}

var (
	// lib.NAME or lib.SECTION.NAME (a third component is an attribute of the value).
	libRef = regexp.MustCompile(`\blib\.([A-Za-z_][A-Za-z0-9_']*)(\.([A-Za-z_][A-Za-z0-9_']*))?`)
	// types.NAME, where `types` is lib's (every framework file binds it by `inherit (lib) types`).
	typesRef = regexp.MustCompile(`\btypes\.([A-Za-z_][A-Za-z0-9_']*)`)
	// inherit (lib) a b c;  inherit (lib.strings) a b;
	inheritRef = regexp.MustCompile(`inherit\s*\(\s*lib(\.[A-Za-z_][A-Za-z0-9_']*)?\s*\)([^;]*);`)
	// A comment: # to the end of the line, where # starts a word (not inside "#!" strings).
	commentRe = regexp.MustCompile(`(^|\s)#[^!].*$|(^|\s)#$`)
)

// libUses returns every lib name a Nix source uses, as "NAME" or "SECTION.NAME", with the
// line it is on. Comments are left out; a match right after `.`, `/` or `-` is part of a
// path (./cross/lib.nix), not a use.
func libUses(src string) map[string]int {
	uses := map[string]int{}
	for i, line := range strings.Split(src, "\n") {
		line = commentRe.ReplaceAllString(line, "")
		partOfPath := func(start int) bool {
			return start > 0 && strings.ContainsRune("./-_", rune(line[start-1]))
		}
		for _, m := range inheritRef.FindAllStringSubmatch(line, -1) {
			section := strings.TrimPrefix(m[1], ".")
			for _, n := range strings.Fields(m[2]) {
				if section == "" {
					uses[n] = i + 1
				} else {
					uses[section+"."+n] = i + 1
				}
			}
		}
		line = inheritRef.ReplaceAllString(line, "")
		for _, m := range libRef.FindAllStringSubmatchIndex(line, -1) {
			if partOfPath(m[0]) {
				continue
			}
			first := line[m[2]:m[3]]
			name := first
			if m[6] >= 0 && isSection(first) {
				name = first + "." + line[m[6]:m[7]]
			}
			if first == "nix" && m[6] < 0 {
				continue // "lib.nix" in a string
			}
			uses[name] = i + 1
		}
		for _, m := range typesRef.FindAllStringSubmatchIndex(line, -1) {
			if partOfPath(m[0]) {
				continue
			}
			uses["types."+line[m[2]:m[3]]] = i + 1
		}
	}
	return uses
}

func isSection(s string) bool {
	switch s {
	case "types", "strings", "lists", "attrsets", "trivial", "options", "modules", "fixedPoints",
		"asserts", "debug", "generators", "versions", "customisation", "sources", "cli", "meta",
		"filesystem", "network", "fileset", "path":
		return true
	}
	return false
}

// TestLibUsesScanner proves the scanner finds the forms the framework writes (and so that
// TestFrameworkUsesOnlyOldLibNames cannot pass by finding nothing).
func TestLibUsesScanner(t *testing.T) {
	src := `{ lib, ... }:
let
  inherit (lib) mkOption types;   # lib.ignoredInComment
  inherit (lib.lists) findFirstIndex;
  cross = import ./cross/lib.nix { inherit lib; };
in {
  x = lib.sortOn (a: a) [ ];
  y = lib.network.isIP "1.2.3.4";
  z = types.attrsOf types.str;
  w = lib.types.port;
}`
	got := libUses(src)
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	want := "lists.findFirstIndex mkOption network.isIP sortOn types types.attrsOf types.port types.str"
	if g := strings.Join(names, " "); g != want {
		t.Errorf("libUses found %q, want %q", g, want)
	}
}

// TestFrameworkUsesOnlyOldLibNames enforces the supported range's lower end: every lib
// name the framework uses exists in nixpkgs 22.11's lib. Newer names (sortOn,
// lists.findFirstIndex, network) must be carried by modules/cross/lib.nix instead.
func TestFrameworkUsesOnlyOldLibNames(t *testing.T) {
	known := libNames22_11(t)
	total := 0
	for _, file := range frameworkNixFiles(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for name, line := range libUses(string(src)) {
			total++
			if !known[name] {
				t.Errorf("%s:%d: lib.%s is not in nixpkgs 22.11's lib; carry it in modules/cross/lib.nix", file, line, name)
			}
		}
	}
	if total < 50 {
		t.Errorf("found only %d lib uses in the framework; the scanner is broken", total)
	}
}

// TestNoLibOrFallback: `lib.<x> or <ours>` would silently pick upstream's value once
// nixpkgs adds a name with other contents (it happened with lib.network).
func TestNoLibOrFallback(t *testing.T) {
	re := regexp.MustCompile(`\blib(\.[A-Za-z_][A-Za-z0-9_']*)+\s+or\b`)
	for _, file := range frameworkNixFiles(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if re.MatchString(commentRe.ReplaceAllString(line, "")) {
				t.Errorf("%s:%d: `lib.<name> or ...`: import our helper by path instead", file, i+1)
			}
		}
	}
}
