package nonroot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"
)

// secretValue is the content of the secret `token` (a test value, so the test may read
// it back on the host).
const secretValue = "nonroot-token-7f3a\n"

// TestDeployAsNonRootUser deploys to `deploy@<host>` through `sudo -n` with each front
// door, each on a lab host of its own (in parallel): a deploy that succeeds, then one
// that locks the deploy user out and is rolled back by the host itself.
func TestDeployAsNonRootUser(t *testing.T) {
	labtest.Require(t)
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "go", "sudo", "useradd", "usermod", "setpriv", "bash")

	dir := t.TempDir()
	h := &harness{
		dir:       dir,
		bin:       buildNixmesh(t, dir),
		home:      filepath.Join(dir, "home"),
		deployNix: filepath.Join(testutil.RepoRoot(), "e2e", "nonroot", "testdata", "deploy.nix"),
		secret:    filepath.Join(dir, "token"),
	}
	if err := os.MkdirAll(h.home, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, h.secret, secretValue, 0o600)
	h.key, h.pub = keygen(t, dir, "deploy_ed25519", "deploy@nonroot-test")
	_, h.otherPub = keygen(t, dir, "other_ed25519", "nobody@nonroot-test")
	h.lab = labtest.Up(t, lab.Config{Hosts: lab.NumberedHosts(2)})
	hosts := h.lab.Hosts()

	for i, fd := range []frontDoor{
		{name: "nixmesh-deploy", deploy: (*node).deployWithBinary},
		{name: "result-script", deploy: (*node).deployWithScript},
	} {
		n := &node{harness: h, host: hosts[i], dir: filepath.Join(dir, fd.name)}
		t.Run(fd.name, func(t *testing.T) {
			t.Parallel()
			if err := os.MkdirAll(n.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			n.scenario(t, fd)
		})
	}
}

// scenario is the whole proof on one host with one front door.
func (n *node) scenario(t *testing.T, fd frontDoor) {
	n.createDeployUser(t)

	// 1. A deploy that works: the closure goes into root's store, the switch is confirmed
	//    over a new connection as `deploy`, the secret is root's.
	good := n.writeParams(t, "good", variant{marker: "first, by " + fd.name, successTimeout: 60})
	goodSystem := n.system(t, good)
	r := fd.deploy(n, t, good)
	if r.code != 0 {
		t.Fatalf("deploying as deploy@%s: exit %d, want 0\n%s", n.host.Address, r.code, r.output)
	}
	copied := missingRe.FindStringSubmatch(r.output)
	if copied == nil || copied[1] != copied[2] || copied[1] == "0" {
		t.Errorf("the first deploy should copy the whole closure to the empty store and say so (\"N of N paths missing\"), got %q", copied)
	}
	if got := n.active(t); got != goodSystem {
		t.Errorf("active system %q, want the deployed %q", got, goodSystem)
	}
	if got := n.exec(t, `readlink -e /nix/var/nix/profiles/system`); strings.TrimSpace(got) != goodSystem {
		t.Errorf("system profile -> %q, want %q", strings.TrimSpace(got), goodSystem)
	}
	if got := n.exec(t, `cat /etc/nonroot/marker`); got != "first, by "+fd.name+"\n" {
		t.Errorf("/etc/nonroot/marker = %q", got)
	}
	st := n.switchStatus(t)
	if st["state"] != "success" || st["system"] != goodSystem || st["confirmed-by"] == "" {
		t.Errorf("the switch on the host: %v, want state success, system %s and confirmed-by set", st, goodSystem)
	}
	if got := n.exec(t, `stat -c '%U:%G %a' /var/lib/nixmesh/secrets/token`); got != "root:root 400\n" {
		t.Errorf("the secret is %q, want root:root 400", strings.TrimSpace(got))
	}
	if got := n.exec(t, `cat /var/lib/nixmesh/secrets/token`); got != secretValue {
		t.Errorf("the secret's content on the host differs from its source")
	}
	if got := n.exec(t, `getent passwd nonroot-app | cut -d: -f5`); got != "created by the nonroot test deployment\n" {
		t.Errorf("user nonroot-app: %q", got)
	}

	// From now on the deploy user's key is only where the deployment puts it:
	// /etc/ssh/authorized_keys.d/deploy (users.users.deploy.openssh.authorizedKeys).
	n.exec(t, `rm /home/deploy/.ssh/authorized_keys`)
	if got := n.exec(t, `cat /etc/ssh/authorized_keys.d/deploy`); got != n.pub+"\n" {
		t.Fatalf("/etc/ssh/authorized_keys.d/deploy = %q, want the deploy key", got)
	}
	n.mustSSH(t, "sudo", "-n", "true")

	// 2. A deploy that locks the deploy user out: nothing can confirm it, so the host
	//    rolls back by itself when its (short) success timeout passes.
	broken := n.writeParams(t, "broken", variant{marker: "broken", breakLogin: true, successTimeout: 5})
	brokenSystem := n.system(t, broken)
	r = fd.deploy(n, t, broken)
	if r.code != 6 {
		t.Fatalf("deploying a system that locks deploy out: exit %d, want 6 (rolled back)\n%s", r.code, r.output)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(n.host.Name) + `\s+rolled-back\s`).MatchString(r.output) {
		t.Errorf("the result table does not name %s as rolled back:\n%s", n.host.Name, r.output)
	}
	copied = missingRe.FindStringSubmatch(r.output)
	if copied == nil {
		t.Errorf("the second deploy does not say how many paths it copies")
	} else if k, _ := strconv.Atoi(copied[1]); k == 0 || copied[1] == copied[2] {
		t.Errorf("the second deploy copies %s of %s paths: only the missing ones (some, not all) should move", copied[1], copied[2])
	}
	st = n.switchStatus(t)
	if st["state"] != "rolled-back" || st["system"] != brokenSystem || st["confirmed-by"] != "" {
		t.Errorf("the switch on the host: %v, want state rolled-back of %s, unconfirmed", st, brokenSystem)
	}
	if got := n.active(t); got != goodSystem {
		t.Errorf("after the rollback the active system is %q, want %q", got, goodSystem)
	}
	if got := n.exec(t, `cat /etc/nonroot/marker`); got != "first, by "+fd.name+"\n" {
		t.Errorf("after the rollback /etc/nonroot/marker = %q", got)
	}
	if got := n.exec(t, `cat /etc/ssh/authorized_keys.d/deploy`); got != n.pub+"\n" {
		t.Errorf("after the rollback /etc/ssh/authorized_keys.d/deploy = %q, want the deploy key", got)
	}
	// And the deploy user logs in (and gains root) again.
	if got := n.mustSSH(t, "sudo", "-n", "id", "-u"); got != "0\n" {
		t.Errorf("sudo -n id -u as deploy after the rollback: %q", got)
	}

	// 3. Without sudo rights the deploy fails, saying why, before anything changes: the
	//    question of which paths are missing already needs root.
	n.exec(t, `rm /etc/sudoers.d/deploy`)
	third := n.writeParams(t, "no-sudo", variant{marker: "third", successTimeout: 60})
	r = fd.deploy(n, t, third)
	if r.code != 5 {
		t.Fatalf("deploying without sudo rights: exit %d, want 5 (failed)\n%s", r.code, r.output)
	}
	if !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(n.host.Name)+`\s+failed\s.*asking which paths are missing`).MatchString(r.output) ||
		!strings.Contains(r.output, "sudo: a password is required") {
		t.Errorf("the failure does not say that asking for the missing paths failed, nor show sudo's error:\n%s", r.output)
	}
	if got := n.active(t); got != goodSystem {
		t.Errorf("after the failed deploy the active system is %q, want %q (unchanged)", got, goodSystem)
	}
	if st := n.switchStatus(t); st["system"] != brokenSystem {
		t.Errorf("a switch was started without sudo rights: latest switch %v", st)
	}
}

// missingRe matches what both front doors say before copying: "N of M paths missing".
var missingRe = regexp.MustCompile(`\b([0-9]+) of ([0-9]+) paths missing`)

// ---------------------------------------------------------------------------------------
// The harness.

// harness is what the hosts share: the lab, the nixmesh binary, the deployer's HOME (an
// empty one: no ~/.ssh/config, no default keys), the deploy user's key pair and a key
// nobody uses, the deployment and the secret's source file.
type harness struct {
	lab            *lab.Lab
	dir, bin, home string
	key, pub       string
	otherPub       string
	deployNix      string
	secret         string
}

// node is one lab host, deployed by one front door; dir is its own directory.
type node struct {
	*harness
	host lab.Host
	dir  string
}

// frontDoor deploys testdata/deploy.nix with a params file to the node.
type frontDoor struct {
	name   string
	deploy func(n *node, t *testing.T, params string) run
}

// run is one deploy: its combined output and exit code.
type run struct {
	code   int
	output string
}

// createDeployUser makes the user `deploy` on the host, with the test's key in
// ~/.ssh/authorized_keys and passwordless sudo, and checks `sudo -n` works for it both
// inside the host and over SSH. Nothing else was needed in the lab: the hosts see this
// machine's /usr (with the setuid /usr/bin/sudo) without nosuid, their /etc (a copy of
// this machine's) has sudoers, sudo.conf and PAM configuration, and they share this
// machine's user namespace, so sudo runs as it does on the machine. The one catch is
// sshd's: the lab runs it without PAM, and then it refuses a locked account, which is
// what useradd makes ("!" in /etc/shadow); "*" (no password, not locked) lets keys in.
func (n *node) createDeployUser(t *testing.T) {
	t.Helper()
	n.exec(t, `set -eu
useradd --create-home --shell /bin/bash deploy
usermod --password '*' deploy
install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
printf '%s\n' "$1" >/home/deploy/.ssh/authorized_keys
chown deploy: /home/deploy/.ssh/authorized_keys
chmod 0600 /home/deploy/.ssh/authorized_keys
printf 'deploy ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/deploy
chmod 0440 /etc/sudoers.d/deploy`, n.pub)
	if got := n.exec(t, `setpriv --reuid=deploy --regid=deploy --init-groups sudo -n id -u`); got != "0\n" {
		t.Fatalf("sudo -n id -u as deploy inside %s printed %q, want 0", n.host.Name, got)
	}
	if got := n.mustSSH(t, "id -un; sudo -n id -u"); got != "deploy\n0\n" {
		t.Fatalf("over SSH as deploy, `id -un; sudo -n id -u` printed %q, want deploy and 0", got)
	}
}

// variant is what changes between the deployments of a test.
type variant struct {
	marker         string
	breakLogin     bool
	successTimeout int
}

// writeParams writes DIR/NAME.json, the params of testdata/deploy.nix, and returns its path.
func (n *node) writeParams(t *testing.T, name string, v variant) string {
	t.Helper()
	p := map[string]any{
		"node":    n.host.Name,
		"address": n.host.Address.String(),
		"sshOptions": []string{
			"-i", n.key, "-o", "IdentitiesOnly=yes",
			"-o", "UserKnownHostsFile=" + n.lab.KnownHostsFile(), "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "StrictHostKeyChecking=yes",
		},
		"deployKey":      n.pub,
		"otherKey":       n.otherPub,
		"breakLogin":     v.breakLogin,
		"marker":         v.marker,
		"secretFile":     n.secret,
		"successTimeout": v.successTimeout,
	}
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(n.dir, name+".json")
	writeFile(t, path, string(js)+"\n", 0o644)
	return path
}

// nixArgs are the arguments that give testdata/deploy.nix its inputs.
func (n *node) nixArgs(params string) []string {
	return []string{"--arg", "nixModules", testutil.NixModules(), "--arg", "params", params}
}

// system builds the node's system of a deployment and returns its store path.
func (n *node) system(t *testing.T, params string) string {
	t.Helper()
	argv := append([]string{"nix-build", "--no-out-link", n.deployNix, "-A", "systems." + n.host.Name}, n.nixArgs(params)...)
	out, err := command.Output(testContext(t), command.Cmd{Argv: argv, Env: n.env()})
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, stderrOf(err))
	}
	return strings.TrimSpace(string(out))
}

// deployWithBinary is front door 2: `nixmesh deploy -f deploy.nix -- NIX-ARGS`.
func (n *node) deployWithBinary(t *testing.T, params string) run {
	t.Helper()
	argv := append([]string{n.bin, "deploy", "-f", n.deployNix, "--"}, n.nixArgs(params)...)
	return n.deployer(t, argv)
}

// deployWithScript is front door 1: `nix-build deploy.nix && ./result`.
func (n *node) deployWithScript(t *testing.T, params string) run {
	t.Helper()
	argv := append([]string{"nix-build", "--no-out-link", n.deployNix}, n.nixArgs(params)...)
	out, err := command.Output(testContext(t), command.Cmd{Argv: argv, Env: n.env()})
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, stderrOf(err))
	}
	return n.deployer(t, []string{strings.TrimSpace(string(out))})
}

// deployer runs a deployer to its end, in a process group of its own that is stopped
// (SIGTERM, so a deploy script stops its node jobs) if the test's time runs out.
func (n *node) deployer(t *testing.T, argv []string) run {
	t.Helper()
	cmd := exec.CommandContext(testContext(t), argv[0], argv[1:]...)
	cmd.Env = n.env()
	cmd.Dir = n.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	t.Logf("%s:\n%s", strings.Join(argv, " "), out.String())
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return run{code: ee.ExitCode(), output: out.String()}
	case err != nil:
		t.Fatalf("%s: %v", argv[0], err)
	}
	return run{output: out.String()}
}

// env is the deployer's environment: an empty HOME, no ssh-agent, the tests' NIX_CONFIG.
func (h *harness) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "HOME", "NIX_CONFIG", "SSH_AUTH_SOCK":
			continue
		}
		env = append(env, kv)
	}
	// ./result runs the nixmesh engine on PATH: this test's build of it.
	return append(env, "HOME="+h.home, "NIX_CONFIG="+testutil.NixConfig,
		"PATH="+filepath.Dir(h.bin)+":"+os.Getenv("PATH"))
}

// exec runs a bash script as root inside the host, with args as $1...; it returns stdout.
func (n *node) exec(t *testing.T, script string, args ...string) string {
	t.Helper()
	out, err := n.lab.Exec(testContext(t), n.host.Name, append([]string{"bash", "-c", script, "nonroot"}, args...)...)
	if err != nil {
		t.Fatalf("%s: %q: %v\n%s", n.host.Name, script, err, stderrOf(err))
	}
	return string(out)
}

// active is the host's active system.
func (n *node) active(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(n.exec(t, `readlink -e /var/lib/nixmesh/current-system`))
}

// switchStatus is the host's latest switch, as `nixmesh-switch status` prints it.
func (n *node) switchStatus(t *testing.T) map[string]string {
	t.Helper()
	st := map[string]string{}
	for _, line := range command.Lines(n.exec(t, `/var/lib/nixmesh/current-system/bin/nixmesh-switch status`)) {
		if k, v, ok := strings.Cut(line, "="); ok {
			st[k] = v
		}
	}
	return st
}

// mustSSH runs argv on the host as `deploy`, with its key, over a new connection, and
// returns stdout. Like ssh itself, it joins argv with spaces into one shell command line.
func (n *node) mustSSH(t *testing.T, argv ...string) string {
	t.Helper()
	full := []string{"ssh", "-F", "/dev/null", "-i", n.key, "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + n.lab.KnownHostsFile(), "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		"-p", strconv.Itoa(n.host.Port), "deploy@" + n.host.Address.String(), "--"}
	out, err := command.Output(testContext(t), command.Cmd{Argv: append(full, argv...), Env: n.env()})
	if err != nil {
		t.Fatalf("ssh deploy@%s %v: %v\n%s", n.host.Address, argv, err, stderrOf(err))
	}
	return string(out)
}

// ---------------------------------------------------------------------------------------
// Small helpers.

// buildNixmesh builds ./cmd/nixmesh into dir and returns the binary's path.
func buildNixmesh(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "nixmesh")
	_, err := command.Output(testContext(t), command.Cmd{
		Argv: []string{"go", "build", "-o", bin, "./cmd/nixmesh"},
		Dir:  testutil.RepoRoot(),
	})
	if err != nil {
		t.Fatalf("go build ./cmd/nixmesh: %v\n%s", err, stderrOf(err))
	}
	return bin
}

// testContext ends a little before the test's deadline, so a stuck command fails the
// test with its output instead of the whole binary timing out.
func testContext(t *testing.T) context.Context {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		c, cancel := context.WithDeadline(ctx, d.Add(-30*time.Second))
		t.Cleanup(cancel)
		return c
	}
	return ctx
}

// keygen makes an ed25519 key pair in dir and returns the private key's path and the
// public key line.
func keygen(t *testing.T, dir, name, comment string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if _, err := command.Output(context.Background(), command.Cmd{
		Argv: []string{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path},
	}); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, stderrOf(err))
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(pub))
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// stderrOf returns the stderr kept in a *command.ProcessError.
func stderrOf(err error) string {
	var pe *command.ProcessError
	if errors.As(err, &pe) {
		return pe.Stderr
	}
	return ""
}
