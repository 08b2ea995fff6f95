// Package testutil holds helpers shared by nixmesh's tests: requirement checks that
// skip locally but fail in CI (NIXMESH_TEST_DISALLOW_SKIP=1), and the environment that
// keeps Nix from waiting on a binary cache. It must not be imported by non-test code.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// DisallowSkip reports whether skips must become failures (set by .ci/run).
func DisallowSkip() bool { return os.Getenv("NIXMESH_TEST_DISALLOW_SKIP") == "1" }

// SkipOrFail skips the test with the reason, or fails it when skips are disallowed.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: "+format, args...)
	}
	if DisallowSkip() {
		t.Fatalf("required for this test (NIXMESH_TEST_DISALLOW_SKIP=1): "+format, args...)
	}
	t.Skipf(format, args...)
}

// RequireRoot skips (or fails in CI) unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 || testing.Short() {
		SkipOrFail(t, "needs root")
	}
}

// RequireCommands skips (or fails in CI) unless every command is on PATH.
func RequireCommands(t testing.TB, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			SkipOrFail(t, "needs %s on PATH", c)
		}
	}
}

// RequireNix skips (or fails in CI) unless nix-instantiate and nix-build are present.
// Under -short it always skips: Nix-backed tests are not short.
func RequireNix(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test that runs nix")
	}
	RequireCommands(t, "nix-instantiate", "nix-build", "nix-store")
}

// NixConfig is the NIX_CONFIG used by tests: no binary cache, no sandbox.
const NixConfig = "substituters =\nsandbox = false\nexperimental-features = nix-command\n"

// NixEnv returns os.Environ() with NIX_CONFIG set for tests.
func NixEnv() []string {
	return append(os.Environ(), "NIX_CONFIG="+NixConfig)
}

// SetNixEnv sets NIX_CONFIG for the rest of the test (and restores it after).
func SetNixEnv(t testing.TB) {
	t.Helper()
	t.Setenv("NIX_CONFIG", NixConfig)
}

// RepoRoot returns the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// NixModules returns the path of nix-modules/.
func NixModules() string { return filepath.Join(RepoRoot(), "nix-modules") }
