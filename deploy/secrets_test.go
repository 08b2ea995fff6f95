package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/secrets"
)

// secretFixture is one host of a fleet with two command-sourced secrets whose values are
// random markers: "key" (pre-activation) and "token" (post-activation), both restarting
// the activation script "reload", which counts its runs on the host.
type secretFixture struct {
	*fleet
	h          *testHost
	dir        string // the sources' files on the deploying machine
	key, token string // the current values
}

const secretDir = "/var/lib/nixmesh-test" // inside the test host's private /var/lib

func newSecretFixture(t *testing.T) *secretFixture {
	t.Helper()
	f := &secretFixture{fleet: newFleet(t, 1), dir: t.TempDir()}
	f.h = f.hosts[0]
	f.setSecrets(t)
	return f
}

func marker(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "nixmesh-secret-" + hex.EncodeToString(b)
}

// setSecrets gives both secrets new values.
func (f *secretFixture) setSecrets(t *testing.T) {
	t.Helper()
	f.set(t, "key")
	f.set(t, "token")
}

// set gives one secret a new value. Each value is read by `cat FILE`, so that the marker
// is never in a command line.
func (f *secretFixture) set(t *testing.T, name string) {
	t.Helper()
	v := marker(t) + "\n"
	if name == "key" {
		v = marker(t) + "\nsecond line, no trailing newline"
		f.key = v
	} else {
		f.token = v
	}
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(v), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *secretFixture) targets() []Target {
	ts := f.fleet.targets()
	spec := func(name, owner, group, mode string, at secrets.Phase) secrets.Spec {
		return secrets.Spec{Node: ts[0].Name, Name: name, Kind: secrets.SourceCommand,
			Command: []string{"cat", filepath.Join(f.dir, name)}, Path: secretDir + "/" + name,
			Owner: owner, Group: group, Mode: mode, UploadAt: at, RestartOnChange: []string{"reload"}}
	}
	ts[0].Secrets = []secrets.Spec{
		spec("key", "nobody", "nogroup", "0440", secrets.PreActivation),
		spec("token", "root", "root", "0400", secrets.PostActivation),
	}
	ts[0].SecretsHost = secrets.Host{Node: ts[0].Name, Kind: "standalone", ActivationScripts: map[string]secrets.Snippet{
		"reload": {Text: "echo reload >> " + secretDir + "/restarts"},
	}}
	return ts
}

// deploy runs a deploy, capturing every event as JSON and as text.
func (f *secretFixture) deploy(t *testing.T, dryRun bool) (HostResult, *eventLog, string) {
	t.Helper()
	log := &eventLog{}
	var out bytes.Buffer
	text, js := TextEvents(&out), JSONEvents(&out)
	log.hook = func(e Event) { text(e); js(e) }
	o := f.options(t, log)
	o.DryRun = dryRun
	rep, _ := Run(context.Background(), o, f.targets())
	rep.WriteTable(&out)
	b, _ := json.Marshal(rep)
	out.Write(b)
	if r := rep.Hosts[0]; r.Err != nil {
		out.WriteString(r.Err.Error())
	}
	return rep.Hosts[0], log, out.String()
}

func (f *secretFixture) restarts(t *testing.T) int {
	return strings.Count(remote(t, f.client, f.h, "cat "+secretDir+"/restarts 2>/dev/null || true"), "reload")
}

// noLeak checks that no value of a secret is in the captured output, the deploying
// machine's store or the host's store.
func (f *secretFixture) noLeak(t *testing.T, output string, values ...string) {
	t.Helper()
	for _, v := range values {
		m := strings.SplitN(v, "\n", 2)[0]
		if strings.Contains(output, m) {
			t.Errorf("a secret is in the events, report or errors")
		}
		if out, err := exec.Command("grep", "-rlF", m, "/nix/store").Output(); len(out) > 0 || err == nil {
			t.Errorf("a secret is in the local store: %s", out)
		}
		if out := remote(t, f.client, f.h, "grep -rlF "+m+" /nix || true"); out != "" {
			t.Errorf("a secret is in the host's store: %s", out)
		}
	}
}

func TestRunDeliversSecrets(t *testing.T) {
	f := newSecretFixture(t)
	r, log, output := f.deploy(t, false)
	if r.Result != ResultOK {
		t.Fatalf("result %+v\n%s", r, output)
	}
	got := remote(t, f.client, f.h, "cd "+secretDir+" && stat -c '%n %U:%G %a' key token && cat key && echo '|' && cat token")
	want := "key nobody:nogroup 440\ntoken root:root 400\n" + f.key + "|\n" + f.token
	if got != want {
		t.Fatalf("on the host:\n%q\nwant\n%q", got, want)
	}
	if strings.Join(r.SecretsChanged, ",") != "key,token" {
		t.Errorf("secrets changed: %q", r.SecretsChanged)
	}
	// The activation re-ran every activation script after the pre-activation secret was
	// written; only the post-activation secret's restart remains.
	if n := f.restarts(t); n != 1 {
		t.Errorf("restarts: %d, want 1", n)
	}
	// Order: fetch before the copy, key before the switch starts, token after success.
	var order []string
	for _, e := range log.events {
		switch {
		case e.Phase == PhaseFetchSecrets && e.Secret == "key",
			e.Phase == PhaseCopy && e.Kind == KindStart,
			e.Phase == PhaseSecrets && e.Secret == "key" && e.Outcome == "changed",
			e.Message == "switch sw1 started",
			e.Phase == PhasePostActivation && e.Secret == "token" && e.Outcome == "changed":
			order = append(order, string(e.Phase)+":"+e.Secret)
		}
	}
	if strings.Join(order, " ") != "fetch-secrets:key copy: secrets:key activate: post-activation:token" {
		t.Errorf("event order %q", order)
	}
	if !strings.Contains(output, `"secret":"token","secretPath":"/var/lib/nixmesh-test/token","outcome":"changed"`) {
		t.Errorf("no JSON upload event for token:\n%s", output)
	}
	f.noLeak(t, output, f.key, f.token)

	// Again, nothing changed: the host is unchanged, secrets up to date, nothing re-run.
	r, _, output = f.deploy(t, false)
	if r.Result != ResultUnchanged || len(r.SecretsChanged) != 0 || f.restarts(t) != 1 || callsFor(t, f.ctl, f.h, "switch-to-configuration") != 0 {
		t.Fatalf("redeploy: %+v, restarts %d, calls %q\n%s", r, f.restarts(t), calls(t, f.ctl), output)
	}

	// Only the post-activation secret changes: it is uploaded and its restart runs, with
	// no activation.
	f.set(t, "token")
	r, _, output = f.deploy(t, false)
	if r.Result != ResultUnchanged || strings.Join(r.SecretsChanged, ",") != "token" {
		t.Fatalf("token changed: %+v\n%s", r, output)
	}
	if got := remote(t, f.client, f.h, "cat "+secretDir+"/token"); got != f.token {
		t.Errorf("token on the host %q, want %q", got, f.token)
	}
	if n := f.restarts(t); n != 2 || callsFor(t, f.ctl, f.h, "switch-to-configuration") != 0 {
		t.Errorf("restarts %d (want 2), calls %q", n, calls(t, f.ctl))
	}

	// The pre-activation secret changes on the unchanged host: the running system is
	// activated again (a WireGuard key is read by the activation), which covers the
	// key's restart.
	f.set(t, "key")
	r, _, output = f.deploy(t, false)
	if r.Result != ResultUnchanged || strings.Join(r.SecretsChanged, ",") != "key" {
		t.Fatalf("key changed: %+v\n%s", r, output)
	}
	if got := remote(t, f.client, f.h, "cat "+secretDir+"/key"); got != f.key {
		t.Errorf("key on the host %q, want %q", got, f.key)
	}
	if n := callsFor(t, f.ctl, f.h, "switch-to-configuration"); n != 1 || !strings.Contains(strings.Join(calls(t, f.ctl), "\n"), "switch-to-configuration test") {
		t.Errorf("switch-to-configuration calls: %q", calls(t, f.ctl))
	}
	if n := f.restarts(t); n != 2 {
		t.Errorf("restarts %d, want 2 (the activation covered the key's)", n)
	}
	f.noLeak(t, output, f.key, f.token)
}

func TestRunSecretSourceFailsBeforeAnyChange(t *testing.T) {
	f := newSecretFixture(t)
	// The failing source echoes what it printed on stdout to stderr, as some tools do:
	// the report shows its stderr with the secret redacted.
	script := filepath.Join(f.dir, "failing.sh")
	os.WriteFile(script, []byte("cat "+filepath.Join(f.dir, "token")+"\ncat "+filepath.Join(f.dir, "token")+" >&2\necho 'vault: permission denied' >&2\nexit 3\n"), 0o700)
	ts := f.targets()
	ts[0].Secrets[1].Command = []string{"sh", script}
	log := &eventLog{}
	rep, err := Run(context.Background(), f.options(t, log), ts)
	r := rep.Hosts[0]
	var se *secrets.SourceError
	if r.Result != ResultFailed || !errors.As(err, &se) || se.ExitCode != 3 {
		t.Fatalf("result %+v, err %v", r, err)
	}
	var he *HostError
	if !errors.As(err, &he) || he.Phase != PhaseFetchSecrets {
		t.Errorf("error %v, want a HostError in phase %s", err, PhaseFetchSecrets)
	}
	if !strings.Contains(r.Reason, "vault: permission denied") || !strings.Contains(r.Reason, "[redacted]") || !strings.Contains(r.Reason, "exited with code 3") {
		t.Errorf("reason %q", r.Reason)
	}
	var output bytes.Buffer
	for _, e := range log.events {
		json.NewEncoder(&output).Encode(e)
	}
	output.WriteString(r.Reason + err.Error())
	f.noLeak(t, output.String(), f.key, f.token)
	// Nothing reached the host: no store path, no secret, no switcher call.
	if got := remote(t, f.client, f.h, "ls -A /nix/store 2>/dev/null | wc -l; test -e "+secretDir+" && echo exists || echo absent"); got != "0\nabsent\n" {
		t.Errorf("the host changed: %q", got)
	}
	if c := calls(t, f.ctl); len(c) != 0 {
		t.Errorf("the switcher was called: %q", c)
	}

	// A restart that names no activation script fails the host before anything changes.
	ts = f.targets()
	ts[0].Secrets[0].RestartOnChange = []string{"no-such-script"}
	rep, err = Run(context.Background(), f.options(t, &eventLog{}), ts)
	if r := rep.Hosts[0]; r.Result != ResultFailed || !strings.Contains(r.Reason, `"no-such-script"`) {
		t.Errorf("bad restartOnChange: %+v, %v", r, err)
	}
	if got := remote(t, f.client, f.h, "ls -A /nix/store 2>/dev/null | wc -l; test -e "+secretDir+" && echo exists || echo absent"); got != "0\nabsent\n" {
		t.Errorf("the host changed: %q", got)
	}
}

func TestRunSecretsDryRun(t *testing.T) {
	f := newSecretFixture(t)
	// A source that leaves a mark if it runs: a dry run runs none.
	ran := filepath.Join(f.dir, "ran")
	ts := f.targets()
	ts[0].Secrets[0].Command = []string{"sh", "-c", "touch " + ran + "; cat " + filepath.Join(f.dir, "key")}
	o := f.options(t, &eventLog{})
	o.DryRun = true
	rep, err := Run(context.Background(), o, ts)
	r := rep.Hosts[0]
	if err != nil || r.Result != ResultWouldApply {
		t.Fatalf("dry run: %+v, %v", r, err)
	}
	cmds := strings.Join(r.Commands, "\n")
	for _, want := range []string{
		"nix-store --import",
		"upload secret key to /var/lib/nixmesh-test/key (nobody:nogroup 0440, pre-activation) from command: sh -c",
		"nixmesh-switch start",
		"upload secret token to /var/lib/nixmesh-test/token (root:root 0400, post-activation) from command: cat ",
		"if it changes: re-run activation script reload",
	} {
		if !strings.Contains(cmds, want) {
			t.Errorf("commands lack %q:\n%s", want, cmds)
		}
	}
	if strings.Index(cmds, "secret key") > strings.Index(cmds, "nixmesh-switch start") || strings.Index(cmds, "secret token") < strings.Index(cmds, "nixmesh-switch confirm") {
		t.Errorf("commands out of order:\n%s", cmds)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("a dry run ran a secret's source")
	}
	if got := remote(t, f.client, f.h, "test -e "+secretDir+" && echo exists || echo absent"); got != "absent\n" {
		t.Errorf("a dry run uploaded a secret: %q", got)
	}
	if c := calls(t, f.ctl); len(c) != 0 {
		t.Errorf("the switcher was called: %q", c)
	}
}
