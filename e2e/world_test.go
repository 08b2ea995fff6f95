package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"
)

// exampleNodes are the nodes of examples/lab, in the order the lab numbers them (.11, .12,
// .13 in the lab's subnet).
var exampleNodes = []string{"gateway", "web", "db"}

// world is one lab running examples/lab, and the deployer's side of it.
type world struct {
	lab        *lab.Lab
	dir        string
	labFile    string // what `nixmesh lab up --write-nix` writes
	deployFile string // examples/lab/deploy.nix
	dep        *deployer
	base       params
	trace      string   // where the deployer records the commands it runs on hosts (--trace)
	flags      []string // more flags for the deployer, for one step (e.g. --atomic)
}

// newWorld brings up a 3-host lab for examples/lab (random subnet: the lab file carries
// the addresses into the example) and prepares the deployer and the test's keys.
func newWorld(t *testing.T) *world {
	t.Helper()
	hosts := make([]lab.HostSpec, len(exampleNodes))
	for i, n := range exampleNodes {
		hosts[i] = lab.HostSpec{Name: n}
	}
	l := labtest.Up(t, lab.Config{Hosts: hosts})
	dir := t.TempDir()
	w := &world{
		lab:        l,
		dir:        dir,
		labFile:    filepath.Join(dir, "lab-generated.nix"),
		deployFile: filepath.Join(snapshot(t, dir), "examples", "lab", "deploy.nix"),
		dep:        newDeployer(t, dir, l),
	}
	if err := lab.WriteNix(w.labFile, l); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	deployKey, deployPub := keygen(t, keys, "deploy", "deploy@gateway")
	backupKey, backupPub := keygen(t, keys, "backup", "backup@db")
	w.base = params{
		OperatorKey:   strings.TrimSpace(readFile(t, l.OperatorKey()+".pub")),
		DeployKey:     deployPub,
		DeployKeyFile: deployKey,
		BackupKey:     backupPub,
		BackupKeyFile: backupKey,
		Marker:        "base",
		Keep:          3,
	}
	// The example pins operator's uid to 1000; a lab host's /etc is a copy of this
	// machine's, where that uid may belong to someone else (useradd would refuse).
	if out, err := hostExec(testContext(t), l, "web", nil, "getent", "passwd", "1000"); err == nil {
		uid := 4000
		w.base.OperatorUID = &uid
		t.Logf("uid 1000 is taken on the lab hosts (%s): the example's operator gets uid %d", strings.TrimSpace(out), uid)
	}
	return w
}

// snapshot copies nix-modules/ and examples/ into dir/src and returns dir/src: every
// deploy of a test then builds from the same sources, even while the tree is edited (a
// redeploy "with nothing changed" must mean exactly that).
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"nix-modules", "examples"} {
		if _, err := command.Output(testContext(t), command.Cmd{
			Argv: []string{"cp", "-a", filepath.Join(testutil.RepoRoot(), d), src},
		}); err != nil {
			t.Fatalf("copying %s: %v\n%s", d, err, stderrOf(err))
		}
	}
	return src
}

// host returns a lab host.
func (w *world) host(t *testing.T, name string) lab.Host {
	t.Helper()
	h, ok := w.lab.Host(name)
	if !ok {
		t.Fatalf("lab has no host %s", name)
	}
	return h
}

// nixArgs are the arguments that plug the lab and a variant into deploy.nix.
func (w *world) nixArgs(module string) []string {
	return []string{"--argstr", "labHosts", w.labFile, "--argstr", "extraModule", module}
}

// plan evaluates the deployment's plan for a variant.
func (w *world) plan(t *testing.T, module string) map[string]any {
	t.Helper()
	argv := append([]string{"nix-instantiate", "--eval", "--strict", "--json", w.deployFile, "-A", "plan"}, w.nixArgs(module)...)
	out, err := command.Output(testContext(t), command.Cmd{Argv: argv, Env: testutil.NixEnv()})
	if err != nil {
		t.Fatalf("evaluating the plan: %v\n%s", err, stderrOf(err))
	}
	var p map[string]any
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// ---------------------------------------------------------------------------------------
// What the hosts say.

// currentSystem is the host's active system (/var/lib/nixmesh/current-system).
func (w *world) currentSystem(t *testing.T, node string) string {
	t.Helper()
	out, _ := hostExec(testContext(t), w.lab, node, nil, "readlink", "-f", "/var/lib/nixmesh/current-system")
	return strings.TrimSpace(out)
}

// latestSwitch is the host's latest switch id ("" when none ran).
func (w *world) latestSwitch(t *testing.T, node string) string {
	t.Helper()
	out, _ := hostExec(testContext(t), w.lab, node, nil, "cat", "/var/lib/nixmesh/switch/counter")
	return strings.TrimSpace(out)
}

// switchStatus is `nixmesh-switch status ID` on the host, as key=value pairs.
func (w *world) switchStatus(t *testing.T, node, id string) map[string]string {
	t.Helper()
	// The switcher of the switch's own system: there may be no current system yet.
	out, err := hostExec(testContext(t), w.lab, node, nil, "sh", "-c",
		`exec "$(cat /var/lib/nixmesh/switch/$1/system)/bin/nixmesh-switch" status "$1"`, "sh", id)
	if err != nil {
		t.Fatalf("%s: nixmesh-switch status %s: %v\n%s", node, id, err, stderrOf(err))
	}
	kv := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// switchLog is `nixmesh-switch log ID` on the host.
func (w *world) switchLog(t *testing.T, node, id string) string {
	t.Helper()
	out, _ := hostExec(testContext(t), w.lab, node, nil, "cat", "/var/lib/nixmesh/switch/"+id+"/log")
	return out
}

// waitFinal waits until the host's switch id is in a final state and returns its status.
// The switcher bounds every switch (switch timeout + success timeout + a rollback); the
// bound here only keeps a broken switcher from hanging the test.
func (w *world) waitFinal(t *testing.T, node, id string, bound time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		st := w.switchStatus(t, node, id)
		switch st["state"] {
		case "success", "rolled-back", "failed":
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: switch %s still %q after %s", node, id, st["state"], bound)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// sshAs runs `ssh ... TARGET true` inside node as user, with strict host-key checking.
func (w *world) sshAs(t *testing.T, node, user, target string) error {
	t.Helper()
	argv := []string{"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "ConnectTimeout=10", target, "true"}
	if user != "root" {
		argv = append([]string{"setpriv", "--reuid", user, "--regid", strings.TrimSpace(mustHostExec(t, w.lab, node, "id", "-gn", user)), "--init-groups", "--"}, argv...)
	}
	_, err := hostExec(testContext(t), w.lab, node, nil, argv...)
	return err
}

// ---------------------------------------------------------------------------------------
// The two front doors.

// frontDoor deploys a variant of the example to a world.
type frontDoor struct {
	name string
	// command prepares (builds, for front door 1) and returns the deployer's command.
	command func(t *testing.T, w *world, module string) *exec.Cmd
	// resultOK is the word of a successful host in the deployer's final table.
	resultOK []string
}

var frontDoors = []frontDoor{
	{
		name: "FrontDoor1",
		command: func(t *testing.T, w *world, module string) *exec.Cmd {
			out := filepath.Join(w.dir, fmt.Sprintf("result-%d", time.Now().UnixNano()))
			argv := append([]string{"nix-build", w.deployFile, "-o", out}, w.nixArgs(module)...)
			if _, err := command.Output(testContext(t), command.Cmd{Argv: argv, Env: testutil.NixEnv()}); err != nil {
				t.Fatalf("nix-build: %v\n%s", err, stderrOf(err))
			}
			// The script runs the engine it finds on PATH (the deployment pins none).
			link := filepath.Join(w.dep.bin, "nixmesh")
			if _, err := os.Lstat(link); err != nil {
				if err := os.Symlink(nixmeshBinary(t), link); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(out, w.traceArgs()...)
			cmd.Env = w.dep.env()
			return cmd
		},
		resultOK: []string{"ok", "unchanged"},
	},
	{
		name: "FrontDoor2",
		command: func(t *testing.T, w *world, module string) *exec.Cmd {
			argv := append(append([]string{"deploy", "-f", w.deployFile}, w.traceArgs()...), "--")
			argv = append(argv, w.nixArgs(module)...)
			cmd := exec.Command(nixmeshBinary(t), argv...)
			cmd.Env = w.dep.env()
			return cmd
		},
		resultOK: []string{"ok", "unchanged"},
	},
}

// traceArgs are the step's flags, and --trace to record the remote commands in w.trace.
func (w *world) traceArgs() []string {
	flags := append([]string(nil), w.flags...)
	if w.trace == "" {
		return flags
	}
	return append(flags, "--trace", w.trace)
}

// deploy runs the front door on a variant to the end.
func (fd frontDoor) deploy(t *testing.T, w *world, module string) run {
	t.Helper()
	_, wait := startLogged(t, fd.command(t, w, module), "  |")
	return wait()
}

// results reads the deployer's final table: node -> result word (and the rest of the line).
func results(output string) map[string]string {
	res := map[string]string{}
	words := " success ok unchanged rolled-back failed cancelled skipped "
	for _, line := range strings.Split(output, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(line, " ") || !strings.Contains(words, " "+f[1]+" ") {
			continue
		}
		for _, n := range exampleNodes {
			if f[0] == n {
				res[n] = strings.Join(f[1:], " ")
			}
		}
	}
	return res
}

func resultWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ctxOf is a short alias.
func ctxOf(t *testing.T) context.Context { return testContext(t) }
