package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// TestNotAppliedWarnsAndStrictRefuses: an option a standalone host does not apply
// (here a typo of networking.hostName) is a warning naming node and option at eval,
// check and deploy --dry-run, and with --strict an evaluation error (exit 3) before
// any host is contacted.
func TestNotAppliedWarnsAndStrictRefuses(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "deploy.nix")
	src := `import ` + filepath.Join(testutil.NixModules(), "default.nix") + ` { } {
  nodes.web = { host = "root@127.0.0.1"; port = 1; configuration.networking.hostname = "web"; };
}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	const warning = "warning: node web sets `networking.hostname', which standalone hosts do not apply"
	for _, args := range [][]string{{"eval"}, {"check"}} {
		code, _, stderr := nixmesh(t, append([]string{"-f", file}, args...)...)
		if code != exitOK || !strings.Contains(stderr, warning) {
			t.Errorf("%v: exit %d, want 0 and the warning; stderr:\n%s", args, code, stderr)
		}
		code, _, stderr = nixmesh(t, append([]string{"-f", file, "--strict"}, args...)...)
		if code != exitEval || !strings.Contains(stderr, "option: nodes.web.configuration.networking.hostname") {
			t.Errorf("%v --strict: exit %d, want %d naming the option; stderr:\n%s", args, code, exitEval, stderr)
		}
	}
	// deploy --strict stops at evaluation: port 1 on loopback is never dialled.
	code, _, stderr := nixmesh(t, "-f", file, "--strict", "deploy", "--dry-run")
	if code != exitEval || strings.Contains(stderr, "connect") {
		t.Errorf("deploy --dry-run --strict: exit %d, want %d; stderr:\n%s", code, exitEval, stderr)
	}
}
