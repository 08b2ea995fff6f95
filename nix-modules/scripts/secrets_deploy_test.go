package scripts

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// randomMarker returns a random word of letters b..z (so that `tr a-y b-z` makes it from
// its encoding, and the encoding, not the marker, is all a deploy script or argv can show).
func randomMarker(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 'b' + b[i]%25
	}
	return "mk" + string(b)
}

// encodeMarker shifts each letter down by one: `tr a-y b-z` undoes it.
func encodeMarker(m string) string {
	b := []byte(m)
	for i := range b {
		b[i]--
	}
	return string(b)
}

// secretNode is one node of a deploy script built by secretsScript.
type secretNode struct {
	name, system, kind string
	secrets            []map[string]any
	scripts            map[string]any // activationScripts
}

// secretsScript builds, with deploy-script.nix, a deploy script for nodes that all point
// at the sandbox's sshd (host `lab` of $D/ssh_config).
func (s *sandbox) secretsScript(nodes ...secretNode) string {
	s.t.Helper()
	var specs []map[string]any
	for _, n := range nodes {
		spec := map[string]any{
			"name": n.name, "target": "lab", "port": 2222, "system": n.system,
			"sshOptions": []string{"-F", filepath.Join(s.dir, "ssh_config")},
			"escalate":   []string{}, "userKnown": true, "successTimeout": 30, "switchTimeout": 20,
			"secrets": n.secrets, "activationScripts": n.scripts,
		}
		if n.kind != "" {
			spec["kind"] = n.kind
		}
		if n.secrets == nil {
			spec["secrets"] = []any{}
		}
		if n.scripts == nil {
			spec["activationScripts"] = map[string]any{}
		}
		specs = append(specs, spec)
	}
	nodesJSON, err := json.Marshal(specs)
	if err != nil {
		s.t.Fatal(err)
	}
	return nixBuild(s.t, "--arg", "scripts", filepath.Join(testutil.NixModules(), "scripts"),
		"--argstr", "nodes", string(nodesJSON), "-E",
		`{ scripts, nodes }: import (scripts + "/deploy-script.nix") {
  name = "nixmesh-deploy-secrets-test";
  nodes = builtins.fromJSON nodes;
}`)
}

// secretFakeSystem is a fake system (see fakeSystem) whose activation records, in
// $D/calls, whether each of watch exists at that moment: "NAME saw PATH yes|no".
func (s *sandbox) secretFakeSystem(name string, watch ...string) string {
	s.t.Helper()
	src := filepath.Join(s.dir, "systems", name)
	if err := os.MkdirAll(filepath.Join(src, "bin"), 0o755); err != nil {
		s.t.Fatal(err)
	}
	var body strings.Builder
	fmt.Fprintf(&body, "#!/bin/sh\n# fake system %s of test directory %s\n", name, s.dir)
	fmt.Fprintf(&body, "echo \"%s $1\" >> %s/calls\n", name, s.dir)
	body.WriteString("if [ \"$1\" = test ] || [ \"$1\" = switch ]; then\n")
	for _, w := range watch {
		fmt.Fprintf(&body, "  if [ -e %s ]; then echo '%s saw %s yes'; else echo '%s saw %s no'; fi >> %s/calls\n", w, name, w, name, w, s.dir)
	}
	body.WriteString("  self=$(dirname \"$(dirname \"$(readlink -f \"$0\")\")\")\n")
	body.WriteString("  ln -sfn \"$self\" /var/lib/nixmesh/current-system\nfi\n")
	if err := os.WriteFile(filepath.Join(src, "bin", "switch-to-configuration"), []byte(body.String()), 0o755); err != nil {
		s.t.Fatal(err)
	}
	switcher, err := os.ReadFile(s.script)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "bin", "nixmesh-switch"), switcher, 0o755); err != nil {
		s.t.Fatal(err)
	}
	add := exec.Command("nix-store", "--add", src)
	add.Env = testutil.NixEnv()
	out, err := add.Output()
	if err != nil {
		s.t.Fatalf("nix-store --add %s: %v", src, err)
	}
	return strings.TrimSpace(string(out))
}

// fileBytes reads a file inside the sandbox ("" and false when it does not exist).
func (s *sandbox) fileBytes(path string) ([]byte, bool) {
	s.t.Helper()
	r := s.sh(`[ -f "$1" ] && base64 -w0 -- "$1"`, path)
	if r.code != 0 {
		return nil, false
	}
	data, err := base64.StdEncoding.DecodeString(r.stdout)
	if err != nil {
		s.t.Fatal(err)
	}
	return data, true
}

func (s *sandbox) readFile(name string) string {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	return string(data)
}

// noLeak fails the test when any of needles occurs in text.
func noLeak(t *testing.T, where, text string, needles []string) {
	t.Helper()
	for _, n := range needles {
		if strings.Contains(text, n) {
			t.Errorf("%s contains secret data %q", where, n)
		}
	}
}

var straceWriteRe = regexp.MustCompile(`^\d+ +(?:write|pwrite64|writev)\(\d+<([^>]*)>`)

// checkTrace reads an `strace -f -y -v -e trace=execve,write,pwrite64,writev` log of a
// deploy: no needle may be in any process's argv or environment, and bytes holding one
// may be written to pipes and sockets only, never to a file. It returns how many writes
// carried a needle (through pipes), so that a trace that saw nothing is not taken for a
// proof.
func checkTrace(t *testing.T, trace string, needles []string) int {
	t.Helper()
	carried := 0
	for _, line := range strings.Split(trace, "\n") {
		leak := ""
		for _, n := range needles {
			if strings.Contains(line, n) {
				leak = n
			}
		}
		if leak == "" {
			continue
		}
		if strings.Contains(line, "execve(") {
			t.Errorf("secret data %q in a process's argv or environment:\n%.400s", leak, line)
			continue
		}
		m := straceWriteRe.FindStringSubmatch(line)
		if m == nil {
			// A syscall split by another process ("<unfinished ...>", "resumed>") still names
			// its fd at the start; anything else is unexpected.
			if strings.Contains(line, "resumed>") {
				continue
			}
			t.Errorf("secret data %q in an unexpected trace line:\n%.400s", leak, line)
			continue
		}
		if !strings.HasPrefix(m[1], "pipe:") && !strings.HasPrefix(m[1], "socket:") {
			t.Errorf("secret data %q written to %s (not a pipe or socket):\n%.400s", leak, m[1], line)
			continue
		}
		carried++
	}
	return carried
}

// The generated script delivers secrets as `nixmesh deploy` does: fetched here before
// anything changes on the node, streamed over ssh, written with owner and mode, compared
// with `cmp`, restart actions only for changed files; never in argv, a local file, the
// output or the Nix store.
func TestDeployScriptDeliversSecrets(t *testing.T) {
	t.Parallel()
	requireSSH(t)
	testutil.RequireCommands(t, "nix-copy-closure", "strace", "base64", "grep")
	s := newSandbox(t)
	s.startSSHD()

	const (
		cmdPath  = "/var/lib/app/cmd-key"
		filePath = "/var/lib/nixmesh/secrets/file-key"
	)
	old := s.secretFakeSystem("old")
	system := s.secretFakeSystem("sec", filePath, cmdPath)
	s.setActive(old)

	// The command's output: a marker made at run time from its encoding in a file, a
	// newline, then bytes bash could not hold in a variable.
	cmdMarker, fileMarker := randomMarker(t), randomMarker(t)
	writeEnc := func(marker string) {
		if err := os.WriteFile(filepath.Join(s.dir, "cmd-source.enc"), []byte(encodeMarker(marker)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeEnc(cmdMarker)
	cmdSecret := func(marker string) []byte { return []byte(marker + "\n\x00\x01end") }
	fileSecret := []byte("file:" + fileMarker + "\n")
	if err := os.WriteFile(filepath.Join(s.dir, "file-source"), fileSecret, 0o600); err != nil {
		t.Fatal(err)
	}

	appendTo := func(what string) string { return "echo " + what + " >> " + filepath.Join(s.dir, "restarts") }
	lab := func(kind string, restartCmd, restartFile []string) secretNode {
		return secretNode{name: "lab", system: system, kind: kind,
			secrets: []map[string]any{
				{"name": "cmd-key", "command": []string{"sh", "-c", `tr a-y b-z < "$0"; printf '\000\001end'`, filepath.Join(s.dir, "cmd-source.enc")},
					"path": cmdPath, "owner": "nobody", "group": "nogroup", "mode": "0440",
					"uploadAt": "post-activation", "restartOnChange": restartCmd},
				{"name": "file-key", "file": filepath.Join(s.dir, "file-source"),
					"path": filePath, "owner": "root", "group": "root", "mode": "0400",
					"uploadAt": "pre-activation", "restartOnChange": restartFile},
			},
			scripts: map[string]any{
				"app":      map[string]any{"text": appendTo("app"), "deps": []string{"base"}},
				"base":     map[string]any{"text": appendTo("base"), "deps": []string{}},
				"pre-hook": map[string]any{"text": appendTo("pre-hook"), "deps": []string{}},
			}}
	}
	script := s.secretsScript(lab("", []string{"app"}, []string{"pre-hook"}))
	needles := func(cmdMarker string) []string {
		return []string{cmdMarker, fileMarker,
			base64.StdEncoding.EncodeToString(cmdSecret(cmdMarker)), base64.StdEncoding.EncodeToString(fileSecret)}
	}

	// The script's text names sources and metadata only.
	text := readText(t, script)
	noLeak(t, "the deploy script", text, needles(cmdMarker))
	for _, want := range []string{"secret cmd-key", "--owner nobody", "--mode 0440", "--upload-at post-activation",
		"--restart-on-change app", "--command sh -c", "--file " + filepath.Join(s.dir, "file-source"), "activation_script app"} {
		if !strings.Contains(section(text, "lab"), want) {
			t.Errorf("the node's section lacks %q:\n%s", want, section(text, "lab"))
		}
	}

	// 1. First deploy, traced: every secret is new.
	r := s.sh(`strace -f -qq -y -v -s 1000000 -e trace=execve,write,pwrite64,writev -o "$D/trace" bash "$1"`, script)
	t.Logf("first deploy:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 || !regexp.MustCompile(`(?m)^lab +success`).MatchString(r.stdout) {
		t.Fatalf("first deploy: exit %d, want 0 and lab success\n%s%s", r.code, r.stdout, r.stderr)
	}
	noLeak(t, "the output", r.stdout+r.stderr, needles(cmdMarker))
	if n := checkTrace(t, s.readFile("trace"), needles(cmdMarker)); n == 0 {
		t.Errorf("the trace shows no secret bytes going through a pipe: it proves nothing")
	}
	for _, want := range []string{
		"fetched secret cmd-key (command: sh -c", "fetched secret file-key (file: ",
		"secret cmd-key (" + cmdPath + ") changed", "secret file-key (" + filePath + ") changed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	checkFile := func(path string, want []byte, meta string) {
		t.Helper()
		got, ok := s.fileBytes(path)
		if !ok || string(got) != string(want) {
			t.Errorf("%s on the node: %q (exists: %v), want %d bytes", path, got, ok, len(want))
		}
		if m := strings.TrimSpace(s.sh(`stat -c '%U:%G %a' -- "$1"`, path).stdout); m != meta {
			t.Errorf("%s: owner, group and mode %q, want %q", path, m, meta)
		}
	}
	checkFile(cmdPath, cmdSecret(cmdMarker), "nobody:nogroup 440")
	checkFile(filePath, fileSecret, "root:root 400")
	if got := strings.TrimSpace(s.sh(`stat -c %a /var/lib/app; ls -A /var/lib/app /var/lib/nixmesh/secrets`).stdout); got != "751\n/var/lib/app:\ncmd-key\n\n/var/lib/nixmesh/secrets:\nfile-key" {
		t.Errorf("the secrets' directories (mode, contents):\n%s", got)
	}
	// The pre-activation secret was there when the system activated, the post-activation
	// one was not.
	calls := strings.Join(s.calls(), "\n")
	if !strings.Contains(calls, "sec saw "+filePath+" yes") || !strings.Contains(calls, "sec saw "+cmdPath+" no") {
		t.Errorf("activation saw the secrets wrongly (want %s yes, %s no):\n%s", filePath, cmdPath, calls)
	}
	// cmd-key (post-activation) changed: its activation script `app' re-ran, not its
	// dependency `base' (not named); file-key (pre-activation) needs none: the activation ran.
	if got := s.readFile("restarts"); got != "app\n" {
		t.Errorf("activation scripts re-run: %q, want \"app\\n\"", got)
	}

	// The secrets are in no Nix store path.
	for _, n := range needles(cmdMarker) {
		out, err := exec.Command("grep", "-rlF", "--", n, "/nix/store").Output()
		if err == nil || len(out) > 0 {
			t.Errorf("secret data %q found in the Nix store: %s", n, out)
		}
	}

	// 2. Nothing changed: both unchanged, nothing re-run.
	r = s.sh(`bash "$1"`, script)
	t.Logf("second deploy:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("second deploy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"secret cmd-key (" + cmdPath + ") unchanged", "secret file-key (" + filePath + ") unchanged"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if got := s.readFile("restarts"); got != "app\n" {
		t.Errorf("after an unchanged deploy the activation scripts re-run are %q, want still \"app\\n\"", got)
	}

	// 3. The command now prints something else: cmd-key changes, `app' re-runs.
	newMarker := randomMarker(t)
	writeEnc(newMarker)
	r = s.sh(`bash "$1"`, script)
	t.Logf("third deploy:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 || !strings.Contains(r.stdout, "secret cmd-key ("+cmdPath+") changed") ||
		!strings.Contains(r.stdout, "secret file-key ("+filePath+") unchanged") {
		t.Fatalf("third deploy: exit %d, want cmd-key changed, file-key unchanged\n%s%s", r.code, r.stdout, r.stderr)
	}
	noLeak(t, "the output", r.stdout+r.stderr, needles(newMarker))
	checkFile(cmdPath, cmdSecret(newMarker), "nobody:nogroup 440")
	if got := s.readFile("restarts"); got != "app\napp\n" {
		t.Errorf("after cmd-key changed the activation scripts re-run are %q, want \"app\\napp\\n\"", got)
	}

	// 4. A NixOS node restarts the units of every changed secret, pre-activation ones too.
	s.mustSh(`mount -t tmpfs tmpfs /usr/local/sbin
printf '#!/bin/sh\necho "$*" >> "%s/systemctl"\n' "$D" > /usr/local/sbin/systemctl
chmod 0755 /usr/local/sbin/systemctl`)
	writeEnc(cmdMarker)
	if err := os.WriteFile(filepath.Join(s.dir, "file-source"), []byte("file:"+fileMarker+" v2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = s.sh(`bash "$1"`, s.secretsScript(lab("nixos", []string{"b.service", "a.service"}, []string{"a.service", "pre.service"})))
	t.Logf("NixOS deploy:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("NixOS deploy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := s.readFile("systemctl"); got != "restart -- a.service b.service pre.service\n" {
		t.Errorf("systemctl calls %q, want one restart of a, b and pre", got)
	}
	if got := s.readFile("restarts"); got != "app\napp\n" {
		t.Errorf("a NixOS node re-ran activation scripts: %q", got)
	}
}

// A source that fails or prints nothing fails its node before anything on it changes,
// with the command's stderr shown, redacted of what it printed.
func TestDeployScriptSecretSourceFailureChangesNothing(t *testing.T) {
	t.Parallel()
	requireSSH(t)
	testutil.RequireCommands(t, "nix-copy-closure", "base64")
	s := newSandbox(t)
	s.startSSHD()
	old := s.secretFakeSystem("old")
	never := s.secretFakeSystem("never")
	s.setActive(old)

	marker := randomMarker(t)
	if err := os.WriteFile(filepath.Join(s.dir, "bad.enc"), []byte(encodeMarker(marker)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "good"), []byte("good secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := map[string]any{"name": "a-good", "file": filepath.Join(s.dir, "good"), "path": "/var/lib/nixmesh/secrets/a-good",
		"owner": "root", "group": "root", "mode": "0400", "uploadAt": "pre-activation", "restartOnChange": []string{}}
	bad := map[string]any{"name": "b-bad",
		"command": []string{"sh", "-c", `tr a-y b-z < "$0"; echo "cannot decrypt: had $(tr a-y b-z < "$0")" >&2; exit 3`, filepath.Join(s.dir, "bad.enc")},
		"path":    "/var/lib/nixmesh/secrets/b-bad", "owner": "root", "group": "root", "mode": "0400",
		"uploadAt": "post-activation", "restartOnChange": []string{}}
	empty := map[string]any{"name": "c-empty", "command": []string{"true"}, "path": "/var/lib/nixmesh/secrets/c-empty",
		"owner": "root", "group": "root", "mode": "0400", "uploadAt": "pre-activation", "restartOnChange": []string{}}
	missing := map[string]any{"name": "d-missing", "file": filepath.Join(s.dir, "no-such-file"), "path": "/var/lib/nixmesh/secrets/d-missing",
		"owner": "root", "group": "root", "mode": "0400", "uploadAt": "pre-activation", "restartOnChange": []string{}}

	// This one's source works, but writing it fails on the node (no such owner): the
	// node fails before its switch starts.
	owner := map[string]any{"name": "e-owner", "file": filepath.Join(s.dir, "good"), "path": "/var/lib/nixmesh/secrets/e-owner",
		"owner": "no-such-user", "group": "root", "mode": "0400", "uploadAt": "pre-activation", "restartOnChange": []string{}}

	script := s.secretsScript(
		secretNode{name: "broken", system: never, secrets: []map[string]any{good, bad}},
		secretNode{name: "empty", system: never, secrets: []map[string]any{empty}},
		secretNode{name: "missing", system: never, secrets: []map[string]any{missing}},
		secretNode{name: "owner", system: never, secrets: []map[string]any{owner}},
	)
	r := s.sh(`bash "$1"`, script)
	t.Logf("deploy:\n%s%s", r.stdout, r.stderr)
	if r.code != 5 {
		t.Errorf("exit %d, want 5 (a node failed)", r.code)
	}
	for _, re := range []string{
		`(?m)^broken +failed +secret b-bad: command sh -c .* exited with code 3$`,
		`(?m)^\[broken\] .*its stderr:\n\[broken\]   cannot decrypt: had \[redacted\]$`,
		`(?m)^empty +failed +secret c-empty: command true printed nothing$`,
		`(?m)^missing +failed +secret d-missing: reading ` + regexp.QuoteMeta(filepath.Join(s.dir, "no-such-file")) + ` failed$`,
		`(?m)^\[missing\]   cat: .*No such file or directory$`,
		`(?m)^owner +failed +secret e-owner \(/var/lib/nixmesh/secrets/e-owner\): writing it on the node failed \(exit code 1\)$`,
		`(?m)^\[owner\] nixmesh-secret: /var/lib/nixmesh/secrets/e-owner: cannot give it owner no-such-user`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("the output does not match %s", re)
		}
	}
	noLeak(t, "the output", r.stdout+r.stderr, []string{marker})
	if regexp.MustCompile(`(?m)^\[(broken|empty|missing)\] .*copying`).MatchString(r.stdout) || strings.Contains(r.stdout, "starting the switch") {
		t.Errorf("a node with a failing secret source went on to copy, or one went on to switch")
	}

	// The node is untouched: no switch, no activation, no secret file, same system.
	if s.exists("/var/lib/nixmesh/switch/1") {
		t.Errorf("a switch was started: %v", s.status("1"))
	}
	if calls := s.calls(); len(calls) != 0 {
		t.Errorf("a system was activated: %q", calls)
	}
	for _, p := range []string{"a-good", "b-bad", "c-empty", "d-missing", "e-owner"} {
		if s.exists("/var/lib/nixmesh/secrets/" + p) {
			t.Errorf("secret %s was written", p)
		}
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != old {
		t.Errorf("the active system is %q, want %q", got, old)
	}
}

// deploy.nix puts each node's secrets into its section as data: the sources and metadata
// of nodes.<node>.secrets, and the activation scripts their restartOnChange names.
func TestDeployScriptDeclaresSecrets(t *testing.T) {
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "bash", "grep")
	dir := t.TempDir()
	marker := randomMarker(t)
	keyFile := filepath.Join(dir, "tls.key")
	if err := os.WriteFile(keyFile, []byte(marker+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	deployNix := filepath.Join(dir, "deploy.nix")
	err := os.WriteFile(deployNix, []byte(`import `+testutil.NixModules()+` { } ({ ... }: {
  nodes.web = {
    host = "root@198.18.0.12";
    configuration.system.activationScripts = {
      stdio = "mkdir -p /var/lib/app";
      app = { deps = [ "stdio" ]; text = "echo 'app: reload'\nkill -HUP $(cat /run/app.pid)"; };
    };
    secrets.db = {
      command = [ "pass" "show" "web/it's db" ];
      owner = "app";
      uploadAt = "post-activation";
      restartOnChange = [ "app" ];
    };
    secrets.tls = { file = "`+keyFile+`"; path = "/etc/ssl/private/web.key"; mode = "440"; };
  };
  nodes.gateway.host = "root@198.18.0.11";
})
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	script := nixBuild(t, deployNix)
	text := readText(t, script)
	if strings.Contains(text, marker) {
		t.Errorf("the script contains the contents of a secret's source file")
	}
	if out, _ := exec.Command("grep", "-rlF", marker, "/nix/store").Output(); len(out) > 0 {
		t.Errorf("a secret's source file is in the Nix store: %s", out)
	}
	if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
		t.Errorf("bash -n: %v\n%s", err, out)
	}
	if strings.Contains(section(text, "gateway"), "secret ") {
		t.Errorf("gateway has no secrets, yet its section declares some:\n%s", section(text, "gateway"))
	}

	// What the section's declarations hand to the engine, word by word.
	web := section(text, "web")
	out, err := exec.Command("bash", "-c", `
secret() { printf 'secret'; printf ' <%s>' "$@"; echo; }
activation_script() { printf 'activation_script'; printf ' <%s>' "$@"; echo; }
node() { printf 'node <%s>\n' "$1"; }
`+web).Output()
	if err != nil {
		t.Fatalf("running the section's declarations: %v\n%s", err, web)
	}
	want := strings.Join([]string{
		"secret <db> <--path> </var/lib/nixmesh/secrets/db> <--owner> <app> <--group> <root> <--mode> <0400>" +
			" <--upload-at> <post-activation> <--restart-on-change> <app> <--command> <pass> <show> <web/it's db>",
		"secret <tls> <--path> </etc/ssl/private/web.key> <--owner> <root> <--group> <root> <--mode> <440>" +
			" <--upload-at> <pre-activation> <--file> <" + keyFile + ">",
		"activation_script <app> <--dep> <stdio> <--text> <echo 'app: reload'\nkill -HUP $(cat /run/app.pid)>",
		"node <web>",
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("the section declares\n%s\nwant\n%s", out, want)
	}

	// The node's own script declares them too.
	if single := section(readText(t, nixBuild(t, deployNix, "-A", "nodes.web")), "web"); single != web {
		t.Errorf("nodes.web's section differs from the one in the full script:\n%s", single)
	}
}
