package scripts

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

var sectionRe = regexp.MustCompile(`(?m)^# ---- node (\S+) ----$`)

// sections lists the node sections of a generated deploy script, in order.
func sections(script string) []string {
	var names []string
	for _, m := range sectionRe.FindAllStringSubmatch(script, -1) {
		names = append(names, m[1])
	}
	return names
}

// nixBuild runs nix-build with the test's NIX_CONFIG and returns the output path.
func nixBuild(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("nix-build", append([]string{"--no-out-link"}, args...)...)
	cmd.Env = testutil.NixEnv()
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if e, ok := err.(*exec.ExitError); ok {
			stderr = string(e.Stderr)
		}
		t.Fatalf("nix-build %v: %v\n%s", args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

func readText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// section returns the text of node's section (up to the next blank line).
func section(script, node string) string {
	start := strings.Index(script, "# ---- node "+node+" ----\n")
	if start < 0 {
		return ""
	}
	rest := script[start:]
	if end := strings.Index(rest, "\n\n"); end >= 0 {
		return rest[:end]
	}
	return rest
}

func TestDeployScriptOfADeployment(t *testing.T) {
	testutil.RequireNix(t)
	testutil.RequireCommands(t, "bash")
	dir := t.TempDir()
	deployNix := filepath.Join(dir, "deploy.nix")
	err := os.WriteFile(deployNix, []byte(`import `+testutil.NixModules()+` { } ({ ... }: {
  nodes.gateway = { host = "root@198.18.0.11"; };
  nodes.web = {
    host = "deploy@198.18.0.12";
    port = 2222;
    sshOptions = [ "-o" "ProxyCommand=nc -X connect it's-here %h %p" ];
    successTimeout = 45;
  };
  nodes.old = { host = "root@198.18.0.13"; enable = false; };
})
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}

	all := nixBuild(t, deployNix)
	text := readText(t, all)
	if got := sections(text); !equalLists(got, []string{"gateway", "web"}) {
		t.Fatalf("sections %q, want one per enabled node (gateway, web)\n%s", got, text)
	}
	systems := map[string]string{}
	for _, n := range []string{"gateway", "web", "old"} {
		systems[n] = nixBuild(t, deployNix, "-A", "systems."+n)
	}
	closure, err := exec.Command("nix-store", "-qR", all).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"gateway", "web"} {
		if !strings.Contains(section(text, n), "--system "+systems[n]) {
			t.Errorf("section %s does not deploy its toplevel %s:\n%s", n, systems[n], section(text, n))
		}
		if !strings.Contains(string(closure), systems[n]+"\n") {
			t.Errorf("the script's closure lacks %s's toplevel (building the script must build it)", n)
		}
	}
	if strings.Contains(text, systems["old"]) || strings.Contains(text, "198.18.0.13") {
		t.Errorf("the script mentions the disabled node")
	}

	gateway, web := section(text, "gateway"), section(text, "web")
	if strings.Contains(gateway, "--escalate") {
		t.Errorf("root node gets privilege escalation:\n%s", gateway)
	}
	for _, want := range []string{
		"--target deploy@198.18.0.12", "--port 2222", "--success-timeout 45", "--switch-timeout 60",
		"--escalate sudo", "--escalate -n", `--ssh-option 'ProxyCommand=nc -X connect it'\''s-here %h %p'`,
	} {
		if !strings.Contains(web, want) {
			t.Errorf("web's section lacks %q:\n%s", want, web)
		}
	}

	if out, err := exec.Command("bash", "-n", all).CombinedOutput(); err != nil {
		t.Errorf("bash -n: %v\n%s", err, out)
	}
	if info, err := os.Stat(all); err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("the script is not executable (%v)", err)
	}

	// nodes.<name>: the script for that node alone.
	single := readText(t, nixBuild(t, deployNix, "-A", "nodes.web"))
	if got := sections(single); !equalLists(got, []string{"web"}) {
		t.Errorf("nodes.web script has sections %q, want [web]", got)
	}
	// A disabled node's own script deploys nothing and says so.
	disabled := nixBuild(t, deployNix, "-A", "nodes.old")
	if got := sections(readText(t, disabled)); len(got) != 0 {
		t.Errorf("nodes.old script has sections %q", got)
	}
	out, err := exec.Command("bash", disabled).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "disabled") {
		t.Errorf("running the disabled node's script: %v, %q", err, out)
	}
}

// The generated script against a real sshd in the sandbox, with the user's ssh config
// asking for connection sharing: the script must still confirm over new connections.
func TestDeployScriptSwitchesOverSSH(t *testing.T) {
	t.Parallel()
	requireSSH(t)
	testutil.RequireCommands(t, "nix-copy-closure")
	s := newSandbox(t)
	s.startSSHD()
	s.mustSh(`cat >> "$D/ssh_config" <<CONF
  ControlMaster auto
  ControlPath $D/cm-%r@%h:%p
  ControlPersist 60
CONF`)
	old := s.fakeSystem("old", fake{})
	good := s.fakeSystem("good", fake{})
	bad := s.fakeSystem("bad", fake{exitCode: 3})
	slow := s.fakeSystem("slow", fake{gated: true})
	s.setActive(old)
	successTimeout := 30

	// script builds a deploy script for nodes (name -> system); a node named "down"
	// points at a closed port.
	var extraSSHOptions []string
	script := func(nodes ...[2]string) string {
		var specs []map[string]any
		for _, n := range nodes {
			spec := map[string]any{
				"name": n[0], "target": "lab", "port": 2222, "system": n[1],
				"sshOptions": append([]string{"-F", filepath.Join(s.dir, "ssh_config")}, extraSSHOptions...),
				"escalate":   []string{}, "userKnown": true, "successTimeout": successTimeout, "switchTimeout": 20,
			}
			if n[0] == "down" {
				spec["target"], spec["port"] = "root@127.0.0.1", 1
			}
			specs = append(specs, spec)
		}
		nodesJSON, err := json.Marshal(specs)
		if err != nil {
			t.Fatal(err)
		}
		return nixBuild(t, "--arg", "scripts", filepath.Join(testutil.NixModules(), "scripts"),
			"--argstr", "nodes", string(nodesJSON), "-E",
			`{ scripts, nodes }: import (scripts + "/deploy-script.nix") {
  name = "nixmesh-deploy-test";
  nodes = builtins.fromJSON nodes;
}`)
	}

	r := s.deploySharing(script([2]string{"lab", good}))
	t.Logf("deploying good:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("deploying good: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^lab +success`).MatchString(r.stdout) || !strings.Contains(r.stdout, "[lab] ") {
		t.Errorf("output lacks prefixed progress or the summary row:\n%s", r.stdout)
	}
	if got := s.readlink(profilePath); got != good {
		t.Errorf("system profile -> %q, want %q", got, good)
	}
	if st := s.status("1"); st["state"] != "success" || st["confirmed-by"] == "" {
		t.Errorf("switch 1 on the node: %v", st)
	}

	// The same system again: one cheap check, no copy, no switch (so the next switch on
	// the node is still number 2, as the rollback below expects).
	r = s.deploySharing(script([2]string{"lab", good}))
	t.Logf("deploying good again:\n%s%s", r.stdout, r.stderr)
	if r.code != 0 || !regexp.MustCompile(`(?m)^lab +unchanged +already on `+regexp.QuoteMeta(good)).MatchString(r.stdout) {
		t.Fatalf("redeploying good: exit %d, want 0 and lab unchanged\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "copying") || strings.Contains(r.stdout, "starting the switch") {
		t.Errorf("an unchanged node was copied to or switched:\n%s", r.stdout)
	}

	r = s.deploySharing(script([2]string{"lab", bad}))
	t.Logf("deploying bad:\n%s%s", r.stdout, r.stderr)
	if r.code != 6 {
		t.Fatalf("deploying bad: exit %d, want 6 (rolled back)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^lab +rolled-back +.*exited with code 3`).MatchString(r.stdout) {
		t.Errorf("the summary does not show the rollback and its reason:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "[lab] log: activation of bad breaks") {
		t.Errorf("the output does not show the activation's own error from the switch log:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "nixmesh-switch log 2") {
		t.Errorf("the output does not say how to read the node's log:\n%s", r.stdout)
	}
	if got := s.readlink("/var/lib/nixmesh/current-system"); got != good {
		t.Errorf("after the rollback the active system is %q, want %q", got, good)
	}

	// An unreachable node fails on its own; the other node is deployed all the same.
	r = s.deploySharing(script([2]string{"down", good}, [2]string{"lab", old}))
	t.Logf("deploying down and lab:\n%s%s", r.stdout, r.stderr)
	if r.code != 5 {
		t.Fatalf("deploying an unreachable node: exit %d, want 5", r.code)
	}
	if !regexp.MustCompile(`(?m)^down +failed +cannot reach the node over SSH`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^lab +success`).MatchString(r.stdout) {
		t.Errorf("the summary does not show down failed and lab deployed:\n%s", r.stdout)
	}
	if got := s.readlink(profilePath); got != old {
		t.Errorf("system profile -> %q, want %q", got, old)
	}

	// The node's own sshOptions ask for sharing over a ControlPath of the user's: ssh takes
	// the first value of an option, so the confirmation's ControlPath=none must come first,
	// or it would ride the old master and be refused (and the node would roll back).
	userCM := filepath.Join(s.dir, "user-opt-cm")
	extraSSHOptions = []string{"-o", "ControlMaster=auto", "-o", "ControlPath=" + userCM, "-o", "ControlPersist=60"}
	r = s.sh(`mkdir -p "$D/tmp"; TMPDIR="$D/tmp" bash "$1"`, script([2]string{"lab", good}))
	extraSSHOptions = nil
	s.sh(`ssh -F "$D/ssh_config" -o ControlPath="$1" -O exit lab 2>/dev/null; true`, userCM)
	if r.code != 0 || !regexp.MustCompile(`(?m)^lab +success`).MatchString(r.stdout) {
		t.Fatalf("deploying with the user's ControlPath in sshOptions: exit %d, want 0 and success\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// Interrupted while the node activates: the script stops (130) without confirming,
	// and the node rolls back by itself.
	successTimeout = 8 // long enough for a confirmation, had the script not stopped
	s.mustSh(`mkdir -p "$D/tmp"; TMPDIR="$D/tmp" bash "$1" > "$D/interrupted.out" 2>&1 & echo $! > "$D/script.pid"`, script([2]string{"lab", slow}))
	s.waitState("5", "activating")
	r = s.sh(`pid=$(cat "$D/script.pid"); kill -TERM "$pid"; while [ -e /proc/"$pid" ] && [ "$(cut -d' ' -f3 /proc/"$pid"/stat)" != Z ]; do sleep 0.05; done; cat "$D/interrupted.out"`)
	if !strings.Contains(r.stdout, "interrupted") {
		t.Errorf("the interrupted script did not say so:\n%s", r.stdout)
	}
	s.checkNoSharingLeft("the interrupted deploy")
	s.release("slow")
	if st := s.waitState("5", "rolled-back", "success", "failed"); st["state"] != "rolled-back" {
		t.Errorf("after the interruption switch 5 ended %v, want rolled-back", st)
	}
}

// deploySharing runs a deploy script in the sandbox (with its own TMPDIR, $D/tmp), and
// checks the connection sharing of the run: each node's commands share one SSH connection
// (of its own: the user's ssh config asks for sharing over another path), so the sshd
// accepts at most 3 sessions (the master, the confirmation, one more) for the one node
// that reaches it; and nothing of the sharing outlives the script: no ControlPath
// directory, no ssh process (a master) in the sandbox.
func (s *sandbox) deploySharing(script string) result {
	s.t.Helper()
	before := s.acceptedSessions()
	r := s.sh(`mkdir -p "$D/tmp"; TMPDIR="$D/tmp" bash "$1"`, script)
	if n := s.acceptedSessions() - before; n > 3 {
		s.t.Errorf("the deploy opened %d SSH sessions to the node, want at most 3 (master, confirmation, one more)", n)
	} else {
		s.t.Logf("the deploy opened %d SSH session(s) to the node", n)
	}
	s.checkNoSharingLeft("the deploy")
	return r
}

// acceptedSessions counts the SSH sessions the sandbox's sshd has accepted so far.
func (s *sandbox) acceptedSessions() int {
	s.t.Helper()
	return strings.Count(s.readFile("sshd.log"), "Accepted publickey for ")
}

// checkNoSharingLeft fails the test when a deploy left anything in its TMPDIR ($D/tmp:
// the ControlPath directory, the results) or an ssh process (a ControlMaster) running.
func (s *sandbox) checkNoSharingLeft(what string) {
	s.t.Helper()
	r := s.sh(`ls -A "$D/tmp"
for f in /proc/[0-9]*/comm; do
  [ "$(cat "$f" 2>/dev/null)" = ssh ] || continue
  # A zombie (an ended master its reaper has not yet reaped) holds nothing.
  case "$(sed 's/.*) //' "${f%/comm}/stat" 2>/dev/null)" in Z*) continue ;; esac
  echo "ssh process ${f%/comm}: $(tr '\0' ' ' < "${f%/comm}/cmdline" 2>/dev/null)"
done
ls -d "$D"/cm-* 2>/dev/null
true`)
	if out := strings.TrimSpace(r.stdout); out != "" || r.code != 0 {
		s.t.Errorf("%s left connection sharing behind (temporary files, ssh processes, sockets):\n%s%s", what, out, r.stderr)
	}
}
