package main

import (
	"encoding/json"
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
	file := deploymentOf(t, `
  nodes.web = { host = "root@127.0.0.1"; port = 1; configuration.networking.hostname = "web"; };
`)
	// Located at the line that sets it (the deployment's second line).
	warning := "warning: node web sets `networking.hostname' (in `" + file + ":2'), which standalone hosts do not apply"
	for _, args := range [][]string{{"eval"}, {"check"}} {
		code, _, stderr := nixmesh(t, append([]string{"-f", file}, args...)...)
		if code != exitOK || !strings.Contains(stderr, warning) {
			t.Errorf("%v: exit %d, want 0 and the warning; stderr:\n%s", args, code, stderr)
		}
		code, _, stderr = nixmesh(t, append([]string{"-f", file, "--strict"}, args...)...)
		if code != exitEval || !strings.Contains(stderr, "option: nodes.web.configuration.networking.hostname") || !strings.Contains(stderr, "at:     "+file+":2\n") {
			t.Errorf("%v --strict: exit %d, want %d naming the option and its line; stderr:\n%s", args, code, exitEval, stderr)
		}
	}
	// deploy --strict stops at evaluation: port 1 on loopback is never dialled.
	code, _, stderr := nixmesh(t, "-f", file, "--strict", "deploy", "--dry-run")
	if code != exitEval || strings.Contains(stderr, "connect") {
		t.Errorf("deploy --dry-run --strict: exit %d, want %d; stderr:\n%s", code, exitEval, stderr)
	}
}

// sshOptions nixmesh's SSH client does not read (a host-key check turned off, here) are
// warned about before any connection, naming node and arguments; --strict refuses them.
// What it reads, or does anyway (StrictHostKeyChecking=yes), draws no warning.
func TestIgnoredSSHOptionsWarnAndStrictRefuses(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(key, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	file := deploymentOf(t, `
  nodes.web = { host = "root@127.0.0.1"; port = 1; sshOptions = [ "-o" "StrictHostKeyChecking=no" "-i" "`+key+`" "-o ConnectTimeout=5" ]; };
  nodes.db = { host = "root@127.0.0.2"; port = 1; sshOptions = [ "-J" "bastion" "-oUser=ops" "-o" "StrictHostKeyChecking=yes" ]; };
`)
	code, _, stderr := nixmesh(t, "-f", file, "check")
	warning := "warning: node web's sshOptions [\"-o StrictHostKeyChecking=no\"] (in `" + file + ":2') are ignored: nixmesh's SSH client reads only -l, -i, -J"
	if code != exitOK || !strings.Contains(stderr, warning) || strings.Count(stderr, "warning:") != 1 {
		t.Errorf("check: exit %d, want 0 and web's one warning; stderr:\n%s", code, stderr)
	}
	code, _, stderr = nixmesh(t, "-f", file, "--strict", "deploy", "--dry-run")
	if code != exitEval || !strings.Contains(stderr, "option: nodes.web.sshOptions") || !strings.Contains(stderr, "at:     "+file+":2\n") || strings.Contains(stderr, "connect") {
		t.Errorf("deploy --dry-run --strict: exit %d, want %d naming the option, no connection; stderr:\n%s", code, exitEval, stderr)
	}
}

// Files of this machine that sshOptions name and that are missing (an identity file, a
// known-hosts file) are warned about at check, naming node, file and the line; ~/ is the
// user's home, as for ssh. --strict refuses them.
func TestMissingSSHFilesWarn(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "present"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	file := deploymentOf(t, `
  nodes.web = { host = "root@127.0.0.1"; port = 1; sshOptions = [ "-i" "~/.ssh/gone" "-o" "UserKnownHostsFile=/nonexistent/known_hosts" ]; };
  nodes.db = { host = "root@127.0.0.2"; port = 1; sshOptions = [ "-o" "IdentityFile=~/.ssh/present" "-i" "%d/.ssh/id_%r" ]; };
`)
	code, _, stderr := nixmesh(t, "-f", file, "check")
	for _, want := range []string{
		"warning: node web's sshOptions (in `" + file + ":2') name the identity file " + filepath.Join(home, ".ssh", "gone") + ", which does not exist on this machine",
		"warning: node web's sshOptions (in `" + file + ":2') name the known-hosts file /nonexistent/known_hosts, which does not exist",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check does not say %q; stderr:\n%s", want, stderr)
		}
	}
	if code != exitOK || strings.Count(stderr, "warning:") != 2 {
		t.Errorf("check: exit %d, want 0 and web's two warnings (db's files are there or not ours to resolve); stderr:\n%s", code, stderr)
	}
	code, _, stderr = nixmesh(t, "-f", file, "--strict", "check")
	if code != exitEval || !strings.Contains(stderr, "option: nodes.web.sshOptions") || !strings.Contains(stderr, "at:     "+file+":2\n") {
		t.Errorf("check --strict: exit %d, want %d naming the option and line; stderr:\n%s", code, exitEval, stderr)
	}
}

// The deployment's own warnings (a module's `warnings', here the network level's and a
// health check's) are shown once at check and listed by check --json with the engine's;
// --strict makes them errors (exit 3) at check, eval and deploy, before any host is
// contacted, and check --strict --json lists them as problems.
func TestDeploymentWarningsUnderStrict(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := deploymentOf(t, `
  warnings = [ "the fleet is frozen until Monday" ];
  nodes.web = { host = "root@127.0.0.1"; port = 1; configuration.networking.hostname = "web"; };
`)
	code, stdout, stderr := nixmesh(t, "-f", file, "check")
	if code != exitOK || strings.Count(stderr, "warning: the fleet is frozen until Monday\n") != 1 {
		t.Errorf("check: exit %d, want 0 and the warning once; stderr:\n%s", code, stderr)
	}
	var rep struct {
		OK       bool
		Problems []struct{ Message string }
		Warnings []string
	}
	code, stdout, _ = nixmesh(t, "-f", file, "check", "--json")
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitOK || !rep.OK || len(rep.Warnings) != 2 ||
		rep.Warnings[0] != "the fleet is frozen until Monday" || !strings.Contains(rep.Warnings[1], "`networking.hostname'") {
		t.Errorf("check --json: exit %d, want ok with the deployment's warning and then the engine's (%v):\n%s", code, err, stdout)
	}
	// A deploy recalls them under its result table (port 1 on loopback refuses it).
	code, stdout, _ = nixmesh(t, "-f", file, "deploy", "--dry-run")
	table, recalled := strings.Index(stdout, "HOST "), strings.Index(stdout, "2 warnings before the deploy")
	if code != exitDeploy || table < 0 || recalled < table || !strings.Contains(stdout[recalled:], "\n  the fleet is frozen until Monday\n") {
		t.Errorf("deploy --dry-run: exit %d, want %d with the warnings recalled under the table:\n%s", code, exitDeploy, stdout)
	}
	for _, args := range [][]string{{"check"}, {"eval"}, {"deploy", "--dry-run"}} {
		code, _, stderr = nixmesh(t, append([]string{"-f", file, "--strict"}, args...)...)
		if code != exitEval || !strings.Contains(stderr, "error: the fleet is frozen until Monday (a warning of the deployment's; --strict makes it an error)") ||
			strings.Contains(stderr, "connect") {
			t.Errorf("%v --strict: exit %d, want %d with the warning as an error, no connection; stderr:\n%s", args, code, exitEval, stderr)
		}
	}
	code, stdout, _ = nixmesh(t, "-f", file, "--strict", "check", "--json")
	rep.Problems = nil
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitEval || rep.OK || len(rep.Problems) != 2 {
		t.Errorf("check --strict --json: exit %d, want %d with both warnings as problems (%v):\n%s", code, exitEval, err, stdout)
	}
}

// An activation snippet that no shell parses is warned of at the line that names it
// (each of several snippets at its own), as a health check's command is; --strict
// refuses it there.
func TestBrokenActivationSnippetLocated(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := deploymentOf(t, `
  nodes.web = { host = "root@127.0.0.1"; port = 1; configuration = {
    system.activationScripts.fine = "mkdir -p /var/lib/fine";
    system.activationScripts.broken = { text = "if then fi"; deps = [ ]; };
  }; };
`)
	code, _, stderr := nixmesh(t, "-f", file, "check")
	want := "warning: node web's activation script `broken' (in `" + file + ":4') is no shell script"
	if code != exitOK || !strings.Contains(stderr, want) || strings.Contains(stderr, "`fine'") {
		t.Errorf("check: exit %d, want 0 and %q only; stderr:\n%s", code, want, stderr)
	}
	code, _, stderr = nixmesh(t, "-f", file, "--strict", "check")
	if code != exitEval || !strings.Contains(stderr, "option: nodes.web.configuration.system.activationScripts.broken") || !strings.Contains(stderr, "at:     "+file+":4\n") {
		t.Errorf("check --strict: exit %d, want %d at the snippet's line; stderr:\n%s", code, exitEval, stderr)
	}
}
