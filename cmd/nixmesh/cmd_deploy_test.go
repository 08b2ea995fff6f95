package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/deploy"
	"github.com/nixmesh/nixmesh/deploy/deploytest"
	"github.com/nixmesh/nixmesh/internal/testutil"

	"golang.org/x/crypto/ssh"
)

// deployFixture runs `nixmesh deploy` on deploy/testdata/cli/deploy.nix against test sshd
// hosts, each with its own store.
type deployFixture struct {
	hosts []*deploytest.Host
	ctl   string
	file  string
}

func newDeployFixture(t *testing.T, n int) *deployFixture {
	t.Helper()
	deploytest.RequireSSHD(t)
	client := deploytest.NewClient(t)
	t.Setenv("HOME", client.Home) // the client's ~/.ssh/id_ed25519
	t.Setenv("SSH_AUTH_SOCK", "")
	f := &deployFixture{ctl: t.TempDir(), file: filepath.Join(testutil.RepoRoot(), "deploy", "testdata", "cli", "deploy.nix")}
	for i := 0; i < n; i++ {
		f.hosts = append(f.hosts, deploytest.StartHost(t, client, true))
	}
	return f
}

func (f *deployFixture) run(t *testing.T, opts deployOptions) (string, string, error) {
	t.Helper()
	var ports, keys []string
	for _, h := range f.hosts {
		ports = append(ports, strconv.Itoa(h.Port))
		keys = append(keys, h.HostKeyLine)
	}
	var stdout, stderr bytes.Buffer
	opts.global = &globalOptions{File: f.file, Stderr: &stderr, Env: testutil.NixEnv()}
	opts.NixArgs = append([]string{"--argstr", "ports", strings.Join(ports, ","), "--argstr", "hostKeys", strings.Join(keys, ","), "--argstr", "ctl", f.ctl}, opts.NixArgs...)
	if opts.Action == "" {
		opts.Action = "switch"
	}
	if opts.Parallel == 0 {
		opts.Parallel = 10
	}
	err := runDeploy(context.Background(), opts, &stdout)
	return stdout.String(), stderr.String(), err
}

func TestDeployCommand(t *testing.T) {
	f := newDeployFixture(t, 2)
	os.WriteFile(filepath.Join(f.ctl, "mode."+strconv.Itoa(f.hosts[1].Port)), []byte("rollback\n"), 0o644)

	// Dry run: the plan's declared host keys are trusted, nothing reaches the switcher.
	out, errOut, err := f.run(t, deployOptions{DryRun: true, KeepGoing: true})
	if err != nil || exitCode(err) != exitOK {
		t.Fatalf("dry run: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "web0  would-apply") || !strings.Contains(out, "nixmesh-switch start") {
		t.Fatalf("dry run table:\n%s", out)
	}
	if c := deploytest.Calls(t, f.ctl); len(c) != 0 {
		t.Fatalf("a dry run called the switcher: %q", c)
	}

	// web0 switches, web1 rolls back: exit code 6.
	out, errOut, err = f.run(t, deployOptions{KeepGoing: true})
	if exitCode(err) != exitRolledBack || !errors.Is(err, deploy.ErrRolledBack) {
		t.Fatalf("exit code %d (%v), want 6\n%s%s", exitCode(err), err, out, errOut)
	}
	if !strings.Contains(out, "web0  ok") || !strings.Contains(out, "web1  rolled-back") || !strings.Contains(errOut, "[web1] ") {
		t.Fatalf("table:\n%s\nevents:\n%s", out, errOut)
	}

	// Again, as JSON: web0 is unchanged, and every stdout line is an event.
	out, _, err = f.run(t, deployOptions{KeepGoing: true, JSON: true, Selectors: []string{"web0"}})
	if err != nil {
		t.Fatal(err)
	}
	var last deploy.Event
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if err := json.Unmarshal([]byte(l), &last); err != nil {
			t.Fatalf("not a JSON event: %q", l)
		}
	}
	if last.Kind != deploy.KindResult || last.Host != "web0" || last.Result != deploy.ResultUnchanged {
		t.Fatalf("last event %+v", last)
	}
}

func TestDeployCommandUsageErrors(t *testing.T) {
	for _, opts := range []deployOptions{{Action: "reboot", Parallel: 1}, {Action: "switch", Parallel: 0}} {
		err := runDeploy(context.Background(), deployOptions{global: &globalOptions{File: "/nonexistent"}, Action: opts.Action, Parallel: opts.Parallel}, &bytes.Buffer{})
		if exitCode(err) != exitUsage {
			t.Errorf("%+v: exit code %d (%v), want 2", opts, exitCode(err), err)
		}
	}
}

// Flags that cannot work are usage errors before anything is evaluated (the deployment
// here throws when evaluated) or any host reached.
func TestFlagMistakesBeforeEvaluation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "deploy.nix")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("deploy.nix", `throw "this deployment was evaluated"`)
	notAKey := write("not-a-key", "garbage\n")
	badKnownHosts := write("known_hosts", "web not-a-key-type AAAA\n")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	encrypted := write("encrypted", string(pem.EncodeToMemory(block)))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "-i", filepath.Join(dir, "nope")}, "identity file: open " + filepath.Join(dir, "nope")},
		{[]string{"deploy", "-i", notAKey}, "identity file " + notAKey},
		{[]string{"exec", "-i", encrypted, "--", "true"}, "is protected by a passphrase: add it to ssh-agent"},
		{[]string{"verify", "--known-hosts", filepath.Join(dir, "nope")}, "known hosts file: stat " + filepath.Join(dir, "nope")},
		{[]string{"ssh", "web", "--known-hosts", badKnownHosts}, "known hosts file " + badKnownHosts},
		{[]string{"keys", "ssh", "--known-hosts", filepath.Join(dir, "nope")}, "known hosts file"},
		{[]string{"deploy", "--trace", filepath.Join(dir, "no", "such", "dir")}, "--trace: open"},
		{[]string{"deploy", "--install-bootloader", "--action", "test"}, "--install-bootloader: --action test"},
		{[]string{"deploy", "--dry-run", "--dry-activate"}, "choose one"},
		{[]string{"graph", "-o", filepath.Join(dir, "no", "net.svg")}, "--output: cannot write " + filepath.Join(dir, "no", "net.svg") + ": no directory"},
		{[]string{"graph", "-o", dir}, "--output: " + dir + " is a directory"},
		{[]string{"deploy", "--plan", filepath.Join(dir, "nope.json")}, "--plan: reading the frozen plan: open " + filepath.Join(dir, "nope.json")},
		{[]string{"deploy", "--plan", notAKey}, "--plan: " + notAKey + ": plan is not a JSON object"},
		{[]string{"lab", "crash"}, "accepts 1 arg(s), received 0 (usage: nixmesh lab crash HOST"},
		{[]string{"keys", "wireguard", "-o", filepath.Join(notAKey, "keys.nix")}, "is not a directory"},
		{[]string{"keys", "ssh", "-o", filepath.Join(dir, "no", "keys.nix")}, "no directory"},
		{[]string{"rollback"}, "name the nodes to roll back (or '*' for all of them)"},
		{[]string{"rollback", "web", "--action", "test"}, "--action: want switch or boot"},
		{[]string{"rollback", "web", "--to", "-1"}, "--to must be a generation number"},
		{[]string{"rollback", "--list", "--to", "3"}, "--list only lists the generations; --to goes with a rollback"},
		{[]string{"rollback", "web", "--plan", filepath.Join(dir, "nope.json")}, "--plan: reading the frozen plan: open"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"-f", file}, c.args...), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), c.want) || strings.Contains(stderr.String(), "evaluated") {
			t.Errorf("nixmesh %v: exit %d, stderr %q; want exit %d with %q, before any evaluation", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}

// The CLI gives each host its secrets from the plan, and records the DNS serials of the
// zones whose primary was deployed, never on a dry run.
func TestDeployCommandSecretsAndDNSSerials(t *testing.T) {
	f := newDeployFixture(t, 2)
	os.WriteFile(filepath.Join(f.ctl, "mode."+strconv.Itoa(f.hosts[1].Port)), []byte("rollback\n"), 0o644)
	dir := t.TempDir() // /tmp is shared with the test hosts
	source, target, serials := filepath.Join(dir, "source"), filepath.Join(dir, "on-host", "tok"), filepath.Join(dir, "dns-serials.json")
	secret := "token-" + rand.Text() + "\n"
	if err := os.WriteFile(source, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	nixArgs := []string{"--argstr", "secretFile", source, "--argstr", "secretPath", target, "--argstr", "serialsFile", serials}

	out, errOut, err := f.run(t, deployOptions{DryRun: true, KeepGoing: true, NixArgs: nixArgs})
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "upload secret tok to "+target+" (root:root 0400, pre-activation) from file: "+source) {
		t.Errorf("dry run table:\n%s", out)
	}
	for _, p := range []string{target, serials} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a dry run wrote %s", p)
		}
	}

	// web0 switches, web1 rolls back: only lab.test (primary web0) is recorded.
	out, errOut, err = f.run(t, deployOptions{KeepGoing: true, JSON: true, NixArgs: nixArgs})
	if exitCode(err) != exitRolledBack {
		t.Fatalf("exit code %d (%v)\n%s%s", exitCode(err), err, out, errOut)
	}
	if got, err := os.ReadFile(target); err != nil || string(got) != secret {
		t.Errorf("secret on web0: %q, %v", got, err)
	}
	if strings.Contains(out+errOut, strings.TrimSpace(secret)) {
		t.Error("the secret is in the output")
	}
	if !strings.Contains(out, `"phase":"secrets","kind":"progress","message":"wrote `+target) {
		t.Errorf("no upload event:\n%s", out)
	}
	st, err := crossmodules.LoadSerialState(serials)
	if err != nil || len(st.Zones) != 1 || st.Zones["lab.test"] != (crossmodules.ZoneSerial{Hash: "hash-of-lab.test", Serial: 7}) {
		t.Errorf("serial state %+v, %v", st, err)
	}
	if !strings.Contains(errOut, "dns serials: recorded lab.test in "+serials) || !strings.Contains(errOut, "not recorded for other.test") {
		t.Errorf("stderr:\n%s", errOut)
	}
}
