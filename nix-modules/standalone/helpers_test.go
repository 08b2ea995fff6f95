// Package standalone tests the standalone host schema and toplevel
// (nix-modules/standalone): real nix-build of small fixture hosts (testdata/), and
// activations run inside private namespaces whose /etc, /var/lib, /home, /root and /run
// are bind-mounted copies, so nothing of the machine running the tests is changed.
package standalone

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

func fixture(name string) string {
	return filepath.Join(testutil.NixModules(), "standalone", "testdata", name)
}

// nixArgs are the arguments that select one fixture host for testdata/build.nix.
func nixArgs(fixtureFile string) []string {
	return []string{
		fixture("build.nix"),
		"--argstr", "nixModules", testutil.NixModules(),
		"--arg", "module", fixtureFile,
	}
}

// buildHost builds the toplevel of a fixture host and returns its store path.
func buildHost(t *testing.T, fixtureFile string) string {
	t.Helper()
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	args := append(nixArgs(fixtureFile), "-A", "toplevel", "--no-out-link")
	cmd := exec.Command("nix-build", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-build %s: %v\n%s", filepath.Base(fixtureFile), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// buildHostError builds a fixture that must fail and returns nix-build's stderr.
func buildHostError(t *testing.T, fixtureFile string) string {
	t.Helper()
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	args := append(nixArgs(fixtureFile), "-A", "toplevel", "--no-out-link")
	cmd := exec.Command("nix-build", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("nix-build %s succeeded; want an error", filepath.Base(fixtureFile))
	}
	return stderr.String()
}

// evalJSON evaluates attribute attr of testdata/build.nix for a fixture as JSON.
func evalJSON(t *testing.T, fixtureFile, attr string, v any) {
	t.Helper()
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	args := append([]string{"--eval", "--strict", "--json"}, nixArgs(fixtureFile)...)
	args = append(args, "-A", attr)
	cmd := exec.Command("nix-instantiate", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate -A %s: %v\n%s", attr, err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("decoding %s: %v\n%s", attr, err, out)
	}
}

// writeFixture writes a host module into a temporary file and returns its path.
func writeFixture(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "host.nix")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sandbox is a host's writable state for activations in private namespaces: copies of
// /etc and empty /var/lib, /home, /root, /run under root.
type sandbox struct {
	root string
}

var sandboxDirs = []string{"etc", "var/lib", "home", "root", "run"}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	testutil.RequireRoot(t)
	testutil.RequireCommands(t, "unshare", "mount", "ip", "bash", "useradd", "groupadd", "usermod", "hostname")
	root := t.TempDir()
	for _, d := range sandboxDirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-a", "/etc/.", filepath.Join(root, "etc")).CombinedOutput(); err != nil {
		t.Fatalf("copying /etc: %v\n%s", err, out)
	}
	// Start from a known /etc/hosts (the real one may be a container's bind mount).
	if err := os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("127.0.0.1 localhost\n# kept by nixmesh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &sandbox{root: root}
}

// sandboxSetup runs as PID 1 of the new PID namespace: it bind-mounts the sandbox's
// directories over the real ones (in the private mount namespace only), brings up
// loopback in the fresh network namespace and runs the test's script. Every process the
// script leaves behind (wireguard-go, nsd) dies with the PID namespace.
const sandboxSetup = `set -e
mount --make-rprivate /
for d in etc var/lib home root run; do mount --bind "$SANDBOX_ROOT/$d" "/$d"; done
ip link set lo up
set +e
bash -c "$SANDBOX_SCRIPT"
`

// run runs script (bash) inside fresh mount, UTS, PID and network namespaces that see
// the sandbox's directories. It returns the combined output and the exit code.
func (s *sandbox) run(t *testing.T, script string) (string, int) {
	t.Helper()
	cmd := exec.Command("unshare", "--mount", "--uts", "--pid", "--fork", "--net", "--mount-proc",
		"--", "bash", "-c", sandboxSetup)
	cmd.Env = append(os.Environ(), "SANDBOX_ROOT="+s.root, "SANDBOX_SCRIPT="+script, "NIX_CONFIG="+testutil.NixConfig)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running the sandbox: %v\n%s", err, out)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

// mustRun is run that fails the test on a non-zero exit.
func (s *sandbox) mustRun(t *testing.T, script string) string {
	t.Helper()
	out, code := s.run(t, script)
	if code != 0 {
		t.Fatalf("sandbox script exited %d:\n%s\nscript:\n%s", code, out, script)
	}
	return out
}

func (s *sandbox) path(p string) string { return filepath.Join(s.root, p) }

func (s *sandbox) read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(s.path(p))
	if err != nil {
		t.Fatalf("reading %s in the sandbox: %v", p, err)
	}
	return string(b)
}

// fileState is what a snapshot records of one path.
type fileState struct {
	Mode    fs.FileMode
	UID     uint32
	GID     uint32
	Link    string
	Content string // sha256 of a regular file
}

// snapshot records every path under the sandbox's dir (relative to the sandbox root).
func (s *sandbox) snapshot(t *testing.T, dir string, skip ...string) map[string]fileState {
	t.Helper()
	snap := map[string]fileState{}
	base := s.path(dir)
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.root, p)
		for _, sk := range skip {
			if rel == sk || strings.HasPrefix(rel, sk+"/") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		fsState := fileState{Mode: info.Mode(), UID: st.Uid, GID: st.Gid}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			fsState.Link, _ = os.Readlink(p)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			fsState.Content = hex.EncodeToString(sum[:])
		}
		snap[rel] = fsState
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// mtimes records the modification times (ns) of paths in the sandbox (not following links).
func (s *sandbox) mtimes(t *testing.T, paths ...string) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	for _, p := range paths {
		info, err := os.Lstat(s.path(p))
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		m[p] = info.ModTime().UnixNano()
	}
	return m
}

func diffSnapshots(a, b map[string]fileState) []string {
	var diffs []string
	for k, va := range a {
		vb, ok := b[k]
		if !ok {
			diffs = append(diffs, "missing afterwards: "+k)
		} else if va != vb {
			diffs = append(diffs, fmt.Sprintf("differs: %s: %+v -> %+v", k, va, vb))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, "appeared: "+k)
		}
	}
	return diffs
}

func assertContains(t *testing.T, what, haystack string, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if !strings.Contains(haystack, n) {
			t.Errorf("%s does not contain %q:\n%s", what, n, haystack)
		}
	}
}

func assertNotContains(t *testing.T, what, haystack string, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if strings.Contains(haystack, n) {
			t.Errorf("%s contains %q:\n%s", what, n, haystack)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// statOwner returns the uid and gid of p.
func statOwner(t *testing.T, p string) (uid, gid uint32) {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

func repoNixModules() string { return testutil.NixModules() }
