package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// NixpkgsLibEnv names the nixpkgs lib(s) the real-lib tests run against: a checkout of
// nixpkgs or of nix-community/nixpkgs.lib (a folder with lib/default.nix), or the lib
// folder itself; several, separated by colons, to test a range of releases in one run.
const NixpkgsLibEnv = "NIXMESH_NIXPKGS_LIB"

// NixpkgsLibs returns the lib folders NIXMESH_NIXPKGS_LIB names, or reports the test as
// not run when it is unset. These tests are opt-in everywhere, CI included: nixpkgs
// cannot be fetched there, and nixmesh must not carry a copy of it. So this is a plain
// t.Skip, never SkipOrFail.
func NixpkgsLibs(t testing.TB) []string {
	t.Helper()
	v := os.Getenv(NixpkgsLibEnv)
	if v == "" {
		t.Skipf("not run: set %s to a nixpkgs (or nixpkgs.lib) checkout, or several separated by ':'", NixpkgsLibEnv)
	}
	var libs []string
	for _, p := range strings.Split(v, ":") {
		if p == "" {
			continue
		}
		switch {
		case fileExists(filepath.Join(p, "lib", "default.nix")):
			libs = append(libs, filepath.Join(p, "lib"))
		case fileExists(filepath.Join(p, "default.nix")) && fileExists(filepath.Join(p, "modules.nix")):
			libs = append(libs, p)
		default:
			t.Fatalf("%s: %s has neither lib/default.nix nor default.nix + modules.nix", NixpkgsLibEnv, p)
		}
	}
	return libs
}

// StandInNixpkgs assembles the faithful stand-in for a nixpkgs checkout: a temporary
// folder whose lib is the real nixpkgs lib `libDir` and whose nixos/ is
// nix-modules/tests/fake-nixpkgs/nixos (NixOS's option declarations for what nixmesh
// sets, with NixOS's types and assertions). Pass it as `nixpkgs` to nix-modules.
func StandInNixpkgs(t testing.TB, libDir string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(libDir, filepath.Join(dir, "lib")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(NixModules(), "tests", "fake-nixpkgs", "nixos"), filepath.Join(dir, "nixos")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// LibName is a short name for a lib folder in subtest names: its checkout's folder.
func LibName(libDir string) string {
	if filepath.Base(libDir) == "lib" {
		return filepath.Base(filepath.Dir(libDir))
	}
	return filepath.Base(libDir)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
