package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

func crossFixture(name string) string {
	return filepath.Join(testutil.NixModules(), "modules", "tests", name)
}

func TestCheckGood(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code, stdout, stderr := nixmesh(t, "check", "-f", crossFixture("testdata/good.nix"))
	if code != 0 || !strings.Contains(stdout, "ok: 3 nodes, 1 SSH grant, 1 VPN network, 1 DNS zone with") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// A host module overrode the authorized keys a grant sets: the Nix modules check the
// hosts' final configurations too, so this is an evaluation error (exit 3) with the
// option path and the overriding file on stderr.
func TestCheckOverriddenGrant(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	g, _ := globals(t, crossFixture("testdata/good.nix"))
	err := runCheck(context.Background(), checkOptions{global: g, NixArgs: []string{"--arg", "dropKeys", "true"}}, &bytes.Buffer{})
	var evalErr *eval.EvalError
	if !errors.As(err, &evalErr) || exitCode(err) != exitEval {
		t.Fatalf("err = %v (exit %d), want an evaluation error (exit 3)", err, exitCode(err))
	}
	if len(evalErr.Diagnostics) != 1 || evalErr.Diagnostics[0].OptionPath != "nodes.gateway.configuration.users.users.root.openssh.authorizedKeys.keys" {
		t.Errorf("diagnostics %+v", evalErr.Diagnostics)
	}
	code, _, stderr := nixmesh(t, "check", "-f", crossFixture("testdata/good.nix"), "--", "--arg", "dropKeys", "true")
	if code != exitEval || !strings.Contains(stderr, "option: nodes.gateway.configuration.users.users.root.openssh.authorizedKeys.keys") ||
		!strings.Contains(stderr, "lacks the key `deploy' of host `web'") || !strings.Contains(stderr, "good.nix") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// A problem the Nix modules catch: the evaluation fails, exit 3, path and file named.
func TestCheckNixSideProblem(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code, _, stderr := nixmesh(t, "check", "-f", crossFixture("bad/vpn-address-duplicate.nix"))
	if code != exitEval || !strings.Contains(stderr, "`vpn.networks.backbone.members.web.address'") || !strings.Contains(stderr, "vpn-address-duplicate.nix") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestCheckUpdatesDNSSerials(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	state := filepath.Join(t.TempDir(), "serials.json")
	code, stdout, stderr := nixmesh(t, "check", "--update-dns-serials", "-f", crossFixture("testdata/good.nix"), "--", "--argstr", "serials", state)
	if code != 0 || !strings.Contains(stdout, "recorded lab.test") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	st, err := crossmodules.LoadSerialState(state)
	if err != nil || st.Zones["lab.test"].Serial != 1 {
		t.Fatalf("state %+v, %v", st, err)
	}
	code, stdout, _ = nixmesh(t, "check", "--update-dns-serials", "-f", crossFixture("testdata/good.nix"), "--", "--argstr", "serials", state)
	if code != 0 || !strings.Contains(stdout, "is up to date") {
		t.Errorf("second run: exit %d, %s", code, stdout)
	}
	code, _, stderr = nixmesh(t, "check", "--update-dns-serials", "-f", crossFixture("testdata/good.nix"))
	if code != exitUsage || !strings.Contains(stderr, "no dns.serialsFile") {
		t.Errorf("without serialsFile: exit %d, %s", code, stderr)
	}
}

func TestGraphFormats(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := crossFixture("testdata/good.nix")
	code, stdout, stderr := nixmesh(t, "graph", "-f", file)
	if code != 0 || !strings.HasPrefix(stdout, "digraph nixmesh {") || !strings.Contains(stdout, "deploy@web → root@gateway") {
		t.Fatalf("dot: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = nixmesh(t, "graph", "-f", file, "--format", "mermaid")
	if code != 0 || !strings.HasPrefix(stdout, "flowchart LR") {
		t.Errorf("mermaid: exit %d\n%s", code, stdout)
	}
	out := filepath.Join(t.TempDir(), "net.svg")
	code, _, stderr = nixmesh(t, "graph", "-f", file, "-o", out)
	if testutil.DisallowSkip() || hasDot() {
		b, err := os.ReadFile(out)
		if code != 0 || err != nil || !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("svg: exit %d, %v, stderr %s", code, err, stderr)
		}
	} else if code == 0 || !strings.Contains(stderr, "Graphviz") {
		t.Errorf("svg without dot: exit %d, stderr %s", code, stderr)
	}
	png := filepath.Join(t.TempDir(), "net.png")
	code, _, stderr = nixmesh(t, "graph", "-f", file, "-o", png)
	if testutil.DisallowSkip() || hasDot() {
		b, err := os.ReadFile(png)
		if code != 0 || err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("png: exit %d, %v, stderr %s", code, err, stderr)
		}
	}
	// A file name whose extension says another format, or none we know: refused, nothing written.
	for _, args := range [][]string{{"-o", filepath.Join(t.TempDir(), "net.jpg")}, {"-o", filepath.Join(t.TempDir(), "net.png"), "--format", "dot"}, {"--format", "gif"}} {
		if code, _, _ := nixmesh(t, append([]string{"graph", "-f", file}, args...)...); code != exitUsage {
			t.Errorf("graph %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func hasDot() bool {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "dot")); err == nil {
			return true
		}
	}
	return false
}

// check --json: counts when all is well; the problems with option and file, exit 3, when not.
func TestCheckJSON(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code, stdout, stderr := nixmesh(t, "check", "--json", "-f", crossFixture("testdata/good.nix"))
	var rep checkReport
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || !rep.OK || rep.Nodes != 3 || rep.SSHGrants != 1 || len(rep.Problems) != 0 {
		t.Fatalf("good: exit %d, %+v\n%s\n%s", code, rep, stdout, stderr)
	}
	code, stdout, _ = nixmesh(t, "check", "--json", "-f", crossFixture("bad/vpn-address-duplicate.nix"))
	rep = checkReport{}
	if code != exitEval || json.Unmarshal([]byte(stdout), &rep) != nil || rep.OK || len(rep.Problems) == 0 ||
		rep.Problems[0].Option != "vpn.networks.backbone.members.web.address" || !strings.HasSuffix(rep.Problems[0].File, "vpn-address-duplicate.nix") {
		t.Errorf("bad: exit %d, %+v\n%s", code, rep, stdout)
	}
}

// graph --json: the graph as data.
func TestGraphJSON(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code, stdout, stderr := nixmesh(t, "graph", "--json", "-f", crossFixture("testdata/good.nix"))
	var g struct {
		Nodes []string `json:"nodes"`
		SSH   []struct {
			FromKey, ToUser string
		} `json:"ssh"`
		VPNs []struct {
			Name  string
			Links []struct{ A, B string }
		} `json:"vpns"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &g) != nil || len(g.Nodes) != 3 || len(g.SSH) != 1 || g.SSH[0].ToUser != "root" || len(g.VPNs) != 1 || len(g.VPNs[0].Links) == 0 {
		t.Errorf("exit %d, %+v\n%s\n%s", code, g, stdout, stderr)
	}
}

// Two nodes whose host names read each other's: Nix alone says "infinite recursion
// encountered" at the module system's own line; nixmesh names both definitions with
// their lines, the nodes, and points at the user's file.
func TestCheckRecursionBetweenNodes(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := deploymentOf(t, `
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = { nodes, ... }: { networking.hostName = nodes.db.config.networking.hostName; };
  };
  nodes.db = {
    host = "root@198.18.0.13";
    configuration = { nodes, ... }: { networking.hostName = nodes.web.config.networking.hostName; };
  };
`)
	code, _, stderr := nixmesh(t, "check", "-f", file)
	for _, want := range []string{
		"infinite recursion encountered: each of these definitions needs its own value",
		"`nodes.web.configuration.networking.hostName' in `" + file + ":4:39'",
		"`nodes.db.configuration.networking.hostName' in `" + file + ":8:39'",
		"Nodes involved: ",
		"at:     " + file + ":",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if code != exitEval || strings.Contains(stderr, "at:     "+testutil.NixModules()) {
		t.Errorf("exit %d (want %d), stderr:\n%s", code, exitEval, stderr)
	}
	// Each node in a worker of its own meets the same loop from its side: one problem.
	code, _, stderr = nixmesh(t, "check", "--eval-batch", "1", "-f", file)
	if code != exitEval || strings.Count(stderr, "infinite recursion encountered") != 1 {
		t.Errorf("--eval-batch 1: exit %d, want the loop reported once:\n%s", code, stderr)
	}
}

// A host module whose imports read config: the module system can only say "infinite
// recursion"; nixmesh says that imports cannot depend on config, names the node and
// points at the `imports' line.
func TestCheckRecursionInImports(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(t.TempDir(), "deploy.nix")
	writeFile(t, file, `import `+testutil.NixModules()+`/default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration = { config, lib, ... }: {
      imports = lib.optional config.networking.firewall.enable ./extra.nix;
    };
  };
}
`)
	code, _, stderr := nixmesh(t, "check", "-f", file)
	for _, want := range []string{
		"a module's `imports' depends on `config' (in node web's host configuration)",
		"import the module unconditionally",
		"option: nodes.web.configuration.imports\n",
		"at:     " + file + ":5:7\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if code != exitEval {
		t.Errorf("exit %d (want %d), stderr:\n%s", code, exitEval, stderr)
	}
}

// A host option's definition is brought by the node's configuration (a deferred module,
// whose definitions the module system names "FILE, via option ..."): the problem still
// points at FILE:LINE, with the source line.
func TestCheckHostProblemLocation(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := crossFixture("bad/ssh-grant-keys-overridden.nix")
	code, _, stderr := nixmesh(t, "check", "-f", file)
	if code != exitEval || !strings.Contains(stderr, "at:     "+file+":11\n") || !strings.Contains(stderr, "lib.mkForce [ ];") || strings.Contains(stderr, "via option") {
		t.Errorf("exit %d, want the problem at %s:11 with its line:\n%s", code, file, stderr)
	}
}

// writeFile writes a test's file or fails the test.
// deploymentOf writes a deployment of nix-modules with the given top-level definitions
// (the body of its module, from line 2 on: a leading newline is dropped) to a fresh
// deploy.nix and returns its path.
func deploymentOf(t *testing.T, body string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "deploy.nix")
	writeFile(t, file, "import "+filepath.Join(testutil.NixModules(), "default.nix")+" { } {\n"+strings.TrimPrefix(body, "\n")+"}\n")
	return file
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
