package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testutil.RepoRoot(), "eval", "testdata", name, "deploy.nix")
}

// nixmesh runs the whole CLI as main does and returns exit code, stdout and stderr.
func nixmesh(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func globals(t *testing.T, file string) (*globalOptions, *bytes.Buffer) {
	var stderr bytes.Buffer
	return &globalOptions{File: file, Stderr: &stderr}, &stderr
}

func TestRunEvalTree(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	g, _ := globals(t, fixture(t, "basic"))
	var out bytes.Buffer
	if err := runEval(context.Background(), evalOptions{global: g, Selectors: []string{"@infra,web"}}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"gateway  (standalone, enabled)\n  connection\n    host         root@198.18.0.11\n",
		"    wireguard    wg0: 10.77.0.1/24, listens on 51820\n                   peer webPublicKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= allowed 10.77.0.2/32 at 198.18.0.12:51820\n",
		"    dns (nsd)    serving on 10.77.0.1\n                   zone lab.test (2 lines)\n",
		"\nweb  (standalone, enabled)\n",
		"    tags         web, frontend\n",
		"    ssh access   user deploy accepts 1 key(s)\n                   ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests deploy@gateway\n",
		"  configuration\n    networking\n      hostName = \"web\"\n",
		"        zones\n          \"lab.test\"\n            data = ''\n                @ IN SOA",
		"    extra\n      setting = \"kept raw\"\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "web2") || strings.Contains(s, "old  (") {
		t.Errorf("output shows unselected nodes:\n%s", s)
	}
	if strings.Index(s, "gateway  (") > strings.Index(s, "web  (") {
		t.Error("nodes are not in name order")
	}
}

func TestRunEvalJSONWithNixArgs(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code, stdout, stderr := nixmesh(t, "-f", fixture(t, "basic"), "eval", "--json", "web", "web2", "--", "--argstr", "unused", "x", "--arg", "webPort", "2200")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]struct {
		Connection    map[string]any `json:"connection"`
		Configuration map[string]any `json:"configuration"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if len(got) != 2 {
		t.Errorf("nodes = %v", got)
	}
	if got["web"].Connection["port"] != float64(2200) {
		t.Errorf("web's port = %v: the Nix args after -- were not used", got["web"].Connection["port"])
	}
	if got["web2"].Connection["user"] != nil || got["web2"].Connection["successTimeout"] != float64(20) {
		t.Errorf("web2's connection = %v", got["web2"].Connection)
	}
	hostName := got["web"].Configuration["networking"].(map[string]any)["hostName"]
	if hostName != "web" {
		t.Errorf("web's configuration = %v", got["web"].Configuration)
	}
}

// --arg/--argstr NAME=VALUE work on every command (exec and ssh need them, their `--'
// being the remote command's), together with the Nix arguments after `--'; a value
// without NAME= is a usage error.
func TestGlobalNixArgFlags(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code, stdout, stderr := nixmesh(t, "-f", fixture(t, "basic"), "eval", "--json", "--arg", "webPort=2201", "web", "--", "--argstr", "unused", "x")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]struct {
		Connection map[string]any `json:"connection"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if got["web"].Connection["port"] != float64(2201) {
		t.Errorf("web's port = %v: --arg webPort=2201 was not used", got["web"].Connection["port"])
	}
	code, _, stderr = nixmesh(t, "-f", fixture(t, "basic"), "check", "--argstr", "unused")
	if code != exitUsage || !strings.Contains(stderr, `--argstr "unused": want NAME=VALUE`) {
		t.Errorf("--argstr without NAME=: exit %d, %s", code, stderr)
	}
}

func TestEvalErrorExit3WithDiagnostic(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := fixture(t, "bad-port")
	code, stdout, stderr := nixmesh(t, "-f", file, "eval")
	if code != exitEval {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitEval, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
	for _, want := range []string{
		"error: A definition for option `nodes.web.port' is not of type",
		"  option: nodes.web.port\n",
		"  at:     " + file + ":5:5\n",
		"      5 |     port = 70000;\n        |     ^\n",
		"--show-trace",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// With --show-trace, Nix's own report is printed as it is.
	code, _, stderr = nixmesh(t, "-f", file, "--show-trace", "eval")
	if code != exitEval || !strings.Contains(stderr, "       - In `"+file+":5:5': 70000") {
		t.Errorf("--show-trace: exit %d, stderr:\n%s", code, stderr)
	}
}

// A module written as deploy.nix (no import of nix-modules around it) is said to be no
// deployment, at the file, by every command that reads one (eval and build evaluate
// in workers, check on its own path).
func TestFileThatIsNoDeployment(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(t.TempDir(), "deploy.nix")
	if err := os.WriteFile(file, []byte("{ nodes.web.host = \"root@198.18.0.12\"; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"check", "eval", "build"} {
		code, _, stderr := nixmesh(t, "-f", file, cmd)
		if code != exitEval || !strings.Contains(stderr, file+" is not a nixmesh deployment") || !strings.Contains(stderr, "  at:     "+file+"\n") {
			t.Errorf("%s: exit %d, stderr:\n%s", cmd, code, stderr)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	basic := fixture(t, "basic")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-f", basic, "eval", "gatway"}, `node selector "gatway" matches no node (did you mean "gateway"?)`},
		{[]string{"-f", basic, "build", "@nope"}, `"@nope" matches no tag`},
		{[]string{"-f", "/nonexistent/deploy.nix", "eval"}, "no deployment file /nonexistent/deploy.nix"},
		{[]string{"eval", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"evl"}, `unknown command "evl" (did you mean "eval"?)`},
		{[]string{"-f", basic, "build", "--parallel", "-1"}, "--parallel must not be negative"},
		{[]string{"version", "extra"}, `nixmesh version takes no arguments, got "extra"`},
	}
	for _, tt := range tests {
		code, stdout, stderr := nixmesh(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("nixmesh %q: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
		if strings.Count(stderr, "\n") > 2 || stdout != "" {
			t.Errorf("nixmesh %q: want one short message, got stdout %q stderr %q", tt.args, stdout, stderr)
		}
	}
}

func TestRunBuild(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	g, stderr := globals(t, fixture(t, "basic"))
	var out bytes.Buffer
	err := runBuild(context.Background(), buildOptions{global: g, Selectors: []string{"web*"}, Parallel: 2,
		NixArgs: []string{"--arg", "breakWeb", "true"}}, &out)

	// web2 built and is printed; web failed, and the failure names it.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "web2\t/nix/store/") || !strings.HasSuffix(lines[0], "-nixmesh-system-web2") {
		t.Errorf("stdout = %q, want only web2's path", out.String())
	}
	if code := exitCode(err); code != exitBuild {
		t.Fatalf("exit code %d for %v, want %d", code, err, exitBuild)
	}
	var msg bytes.Buffer
	reportError(&msg, err, false)
	if !strings.HasPrefix(msg.String(), "error: web: build failed: builder for '/nix/store/") || strings.Contains(msg.String(), "web2") {
		t.Errorf("message = %q", msg.String())
	}
	// Not a terminal: plain per-host lines, the builder's output among them (web2 may
	// have been built by an earlier test).
	web2 := strings.Contains(stderr.String(), "[web2] built\n") != strings.Contains(stderr.String(), "[web2] already built\n")
	if !strings.Contains(stderr.String(), "[web] broken on purpose\n") || !web2 {
		t.Errorf("progress output:\n%s", stderr)
	}
}

func TestRunBuildAll(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code, stdout, stderr := nixmesh(t, "-f", fixture(t, "basic"), "build")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var nodes []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		name, path, _ := strings.Cut(l, "\t")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		nodes = append(nodes, name)
	}
	// Every enabled node, not the disabled one.
	if strings.Join(nodes, ",") != "gateway,web,web2" {
		t.Errorf("built %v", nodes)
	}
}

func TestRunOptions(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	g, _ := globals(t, fixture(t, "basic"))
	var out bytes.Buffer
	if err := runOptions(context.Background(), optionsOptions{global: g, Filter: []string{"port"}}, &out); err != nil {
		t.Fatal(err)
	}
	want := `nodes.<name>.port
    type:        16 bit unsigned integer; between 0 and 65535 (both inclusive)
    default:     22
    declared in: /nix-modules/modules/nodes.nix:20
    SSH port.
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	if err := runOptions(context.Background(), optionsOptions{global: g, JSON: true}, &out); err != nil {
		t.Fatal(err)
	}
	var list []eval.Option
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 2 || list[0].Name != "nodes.<name>.host" {
		t.Errorf("json: %v %+v", err, list)
	}

	err := runOptions(context.Background(), optionsOptions{global: g, Filter: []string{"nothing-like-this"}}, &out)
	if exitCode(err) != exitUsage {
		t.Errorf("unmatched filter: %v", err)
	}
}

func TestRunOptionsWithoutDeployment(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	// A fake framework: options.nix imports it and calls it with an empty module.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "default.nix"), []byte(`{ }: module: {
  optionsList = [ { name = "from.framework"; type = "boolean"; description = "d"; default = false; declarations = [ ]; readOnly = true; } ];
}`), 0o644)
	g, _ := globals(t, filepath.Join(t.TempDir(), "absent.nix"))
	var out bytes.Buffer
	if err := runOptions(context.Background(), optionsOptions{global: g, Modules: dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "from.framework\n    type:        boolean\n    default:     false\n    read-only\n") {
		t.Errorf("got:\n%s", out.String())
	}

	// $NIXMESH_MODULES is found without --modules; an explicit -f that is missing is not
	// silently replaced by the framework.
	t.Setenv("NIXMESH_MODULES", dir)
	out.Reset()
	if err := runOptions(context.Background(), optionsOptions{global: g}, &out); err != nil || !strings.Contains(out.String(), "from.framework") {
		t.Errorf("with NIXMESH_MODULES: %v\n%s", err, out.String())
	}
	g.FileExplicit = true
	if err := runOptions(context.Background(), optionsOptions{global: g}, &out); exitCode(err) != exitUsage {
		t.Errorf("missing -f file: %v", err)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := nixmesh(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "nixmesh ") || !strings.Contains(stdout, "\ngo      go1.") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func TestRootHelpTeaches(t *testing.T) {
	code, stdout, _ := nixmesh(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Exit codes:", "  3    evaluation error", "  4    build error", "  130  interrupted",
		"nixmesh eval", "nixmesh build web @db", "-f, --file FILE", "--show-trace"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	for _, c := range []string{"eval", "build", "options", "version"} {
		_, stdout, _ := nixmesh(t, c, "--help")
		if !strings.Contains(stdout, "Examples:\n  nixmesh "+c) {
			t.Errorf("%s --help has no example:\n%s", c, stdout)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errors.New("x"), 1},
		{usageErrorf("x"), 2},
		{&eval.SelectError{Selector: "x"}, 2},
		{&eval.EvalError{}, 3},
		{&eval.PlanVersionError{Got: 9}, 3},
		{errors.Join(&eval.HostError{Host: "a", Phase: "build", Err: &eval.BuildError{}}), 4},
		{&deployFailedError{errors.New("x")}, 5},
		{&rolledBackError{errors.New("x")}, 6},
		{errors.Join(&rolledBackError{errors.New("x")}, &deployFailedError{errors.New("y")}), 5},
		{interrupted(errors.New("x")), 130},
		{&eval.HostError{Host: "a", Phase: "build", Err: context.Canceled}, 130},
	} {
		if got := exitCode(tt.err); got != tt.code {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.code)
		}
	}
}

// nixmesh build evaluates the network once for the plan and instantiates every selected
// system in one more nix-instantiate call — never once per host.
func TestBuildEvaluatesOnce(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	log := logCalls(t, "nix-instantiate")

	code, stdout, stderr := nixmesh(t, "-f", fixture(t, "basic"), "build", "gateway,web*")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\n"); n != 3 {
		t.Errorf("built %d nodes:\n%s", n, stdout)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// One pass over the index (no host evaluated), then worker processes of forNodes
	// that together evaluate each selected node exactly once, one of them with the
	// network level, and nothing else.
	calls := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(calls) < 2 || !strings.HasSuffix(calls[0], "-A nodeIndex") {
		t.Fatalf("calls (want the index first, then workers):\n%s", b)
	}
	seen := map[string]int{}
	network := 0
	for _, c := range calls[1:] {
		switch {
		case !strings.Contains(c, "-A result"):
			t.Errorf("not a worker call: %s", c)
		case strings.Contains(c, "d.forNodes ["):
			network++
		case !strings.Contains(c, "d.forNodesWith { network = false; }"):
			t.Errorf("not a worker call: %s", c)
		}
		for _, n := range []string{"gateway", "web", "web2", "old"} {
			if strings.Contains(c, `"`+n+`"`) {
				seen[n]++
			}
		}
	}
	if seen["gateway"] != 1 || seen["web"] != 1 || seen["web2"] != 1 || seen["old"] != 0 {
		t.Errorf("node evaluations %v, want gateway, web, web2 once each and old never:\n%s", seen, b)
	}
	if network != 1 {
		t.Errorf("%d workers evaluated the network level, want 1:\n%s", network, b)
	}
}

// With --eval-batch 1 every selected node has a worker of its own; the plan and the
// systems are the same as with one worker for all.
func TestBuildWorkerBatches(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	code1, out1, stderr1 := nixmesh(t, "-f", fixture(t, "basic"), "build", "--eval-batch", "1", "gateway,web*")
	codeAll, outAll, _ := nixmesh(t, "-f", fixture(t, "basic"), "build", "--eval-workers", "1", "--eval-batch", "10", "gateway,web*")
	if code1 != 0 || codeAll != 0 || out1 != outAll || strings.Count(out1, "\n") != 3 {
		t.Errorf("batch 1: exit %d\n%s\none worker: exit %d\n%s", code1, out1, codeAll, outAll)
	}
	if !strings.Contains(stderr1, "evaluated 3 node(s) in 3 process(es)") {
		t.Errorf("no progress line for 3 workers:\n%s", stderr1)
	}
	if code, _, stderr := nixmesh(t, "-f", fixture(t, "basic"), "build", "--eval-batch", "-1"); code != exitUsage || !strings.Contains(stderr, "--eval-batch") {
		t.Errorf("--eval-batch -1: exit %d, %s", code, stderr)
	}
	if code, _, stderr := nixmesh(t, "-f", fixture(t, "basic"), "build", "--max-jobs", "many"); code != exitUsage || !strings.Contains(stderr, "--max-jobs \"many\"") {
		t.Errorf("--max-jobs many: exit %d, %s", code, stderr)
	}

	// A memory budget with room for less than one node: a worker per node, one at a
	// time, the same systems.
	codeMem, outMem, stderrMem := nixmesh(t, "-f", fixture(t, "basic"), "build", "--eval-memory", "1K", "gateway,web*")
	if codeMem != 0 || outMem != outAll || !strings.Contains(stderrMem, "evaluated 3 node(s) in 3 process(es), at most 1 at once") ||
		!strings.Contains(stderrMem, "(memory budget 1.0 KiB)") {
		t.Errorf("--eval-memory 1K: exit %d\n%s%s", codeMem, outMem, stderrMem)
	}
	log := logCalls(t, "nix-instantiate")
	if code, _, stderr := nixmesh(t, "-f", fixture(t, "basic"), "eval", "--eval-memory", "lots"); code != exitUsage || !strings.Contains(stderr, "--eval-memory \"lots\"") {
		t.Errorf("--eval-memory lots: exit %d, %s", code, stderr)
	}
	if b, _ := os.ReadFile(log); len(b) != 0 {
		t.Errorf("a bad --eval-memory still evaluated:\n%s", b)
	}
}

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{
		"": 0, "none": -1, "512": 512, "1K": 1 << 10, "1KiB": 1 << 10, "1kb": 1 << 10,
		"512M": 512 << 20, "512MiB": 512 << 20, "8GiB": 8 << 30, "1.5G": 3 << 29, "2T": 2 << 40, " 4 GiB ": 4 << 30,
	} {
		if got, err := parseMemory(in); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "-1G", "0", "4X", "G"} {
		if got, err := parseMemory(in); err == nil {
			t.Errorf("parseMemory(%q) = %d, want an error", in, got)
		}
	}
}

func TestInterruptedExit130(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C came before nix finished
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-f", fixture(t, "basic"), "build"}, &stdout, &stderr)
	if code != exitInterrupted || stderr.String() != "nixmesh: interrupted\n" || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// A second build of built systems starts no nix-store --realise: one query for all
// nodes finds the outputs the workers printed valid.
func TestBuildSkipsBuiltSystems(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	if code, _, stderr := nixmesh(t, "-f", fixture(t, "basic"), "build", "gateway,web2"); code != 0 {
		t.Fatalf("first build: exit %d: %s", code, stderr)
	}
	log := logCalls(t, "nix-store")
	code, stdout, stderr := nixmesh(t, "-f", fixture(t, "basic"), "build", "gateway,web2")
	if code != 0 || strings.Count(stdout, "\n") != 2 {
		t.Fatalf("second build: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(log)
	calls := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "--check-validity --print-invalid ") {
		t.Errorf("nix-store calls for built systems (want the one query only):\n%s", b)
	}
}

// logCalls puts a wrapper of tool first on PATH for the rest of the test: it appends its
// arguments to the returned file, one call per line, then runs the real tool.
func logCalls(t *testing.T, tool string) string {
	t.Helper()
	real, err := exec.LookPath(tool)
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "calls")
	script := "#!/bin/sh\necho \"$*\" >> " + log + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

// The workers' checks are scoped to their nodes and add up to the whole: a module of db
// that undoes web's grant (db's authorized keys) fails every build that evaluates db,
// in whichever batch db lands, and none that does not.
func TestBuildChecksEachSelectedHost(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := crossFixture("bad/ssh-grant-keys-overridden.nix")
	for _, args := range [][]string{{"build"}, {"build", "--eval-batch", "1"}, {"build", "db"}} {
		code, _, stderr := nixmesh(t, append([]string{"-f", file}, args...)...)
		if code != exitEval || !strings.Contains(stderr, "lacks the key `deploy' of host `web'") ||
			!strings.Contains(stderr, "nodes.db.configuration.users.users.root.openssh.authorizedKeys.keys") {
			t.Errorf("%v: exit %d (want %d naming db's keys):\n%s", args, code, exitEval, stderr)
		}
	}
	for _, node := range []string{"gateway", "web"} {
		if code, stdout, stderr := nixmesh(t, "-f", file, "build", "--eval-batch", "1", node); code != 0 || !strings.HasPrefix(stdout, node+"\t") {
			t.Errorf("build %s (db not selected): exit %d\n%s%s", node, code, stdout, stderr)
		}
	}
}

// Each command evaluates what it reads and no more: eval and diff the selected hosts
// (in workers, nothing instantiated), check every host, exec/ssh/verify/secrets/graph
// the network level and the nodes' connection settings (no host at all). So db's
// broken host fails `eval db`, `eval` and `check`, and nothing else; a network-level
// failure fails them all.
func TestCommandsEvaluateWhatTheyRead(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(testutil.RepoRoot(), "cmd", "nixmesh", "testdata", "one-host-broken.nix")
	log := logCalls(t, "nix-instantiate")
	calls := func() string {
		b, _ := os.ReadFile(log)
		os.Remove(log)
		return string(b)
	}
	const dbError = "nodes.db.configuration.users.users.x.uid"
	dbLine := fmt.Sprintf("one-host-broken.nix:%d", lineOf(t, file, `"not a number"`))

	code, stdout, stderr := nixmesh(t, "-f", file, "eval", "--json", "@front")
	if code != 0 || !strings.Contains(stdout, `"hostname": "198.18.0.12"`) || strings.Contains(stdout, `"db"`) {
		t.Errorf("eval @front: exit %d\n%s%s", code, stdout, stderr)
	}
	c := calls()
	if !strings.Contains(c, "-A nodeIndex") || !strings.Contains(c, `forNodes [ "web" ]).plan`) || strings.Contains(c, `"db"`) {
		t.Errorf("eval @front evaluated more than web's plan:\n%s", c)
	}

	for _, args := range [][]string{{"eval", "db"}, {"eval"}, {"check"}, {"check", "--eval-batch", "1"}} {
		code, _, stderr := nixmesh(t, append([]string{"-f", file}, args...)...)
		if code != exitEval || !strings.Contains(stderr, dbError) || !strings.Contains(stderr, dbLine) {
			t.Errorf("%v: exit %d (want %d naming db's uid and its line):\n%s", args, code, exitEval, stderr)
		}
	}
	calls()

	// No host evaluated: db's connection settings are there, its configuration is not.
	code, stdout, stderr = nixmesh(t, "-f", file, "graph", "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"web"`) {
		t.Errorf("graph: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = nixmesh(t, "-f", file, "secrets", "db")
	if code != 0 {
		t.Errorf("secrets db: exit %d\n%s%s", code, stdout, stderr)
	}
	if c := calls(); strings.Count(c, "\n") != 2 || strings.Count(c, "-A connectionPlan") != 2 {
		t.Errorf("graph and secrets: want one connectionPlan evaluation each:\n%s", c)
	}
	g, _ := globals(t, file)
	network, names, err := g.connectionsAndSelect(context.Background(), nil, []string{"db"})
	if err != nil || len(names) != 1 || network.Nodes["db"].Port != 2222 || network.Nodes["db"].User != "db" ||
		network.Nodes["db"].Hostname != "198.18.0.13" || network.Nodes["db"].Configuration.Raw != nil {
		t.Errorf("connections of db: %v %v %+v", err, names, network.Nodes["db"])
	}

	// A network-level failure stops every command, the connection-only ones too.
	for _, args := range [][]string{{"eval", "web"}, {"check"}, {"graph"}, {"secrets"}} {
		code, _, stderr := nixmesh(t, append(append([]string{"-f", file}, args...), "--", "--arg", "failNetwork", "true")...)
		if code != exitEval || !strings.Contains(stderr, "the network level fails on purpose") {
			t.Errorf("%v with a failing network level: exit %d:\n%s", args, code, stderr)
		}
	}
}

// lineOf is the number of the first line of file that contains text.
func lineOf(t *testing.T, file, text string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, text)
	return 0
}

// check finds every broken host, not only the first: two hosts that fail differently,
// in one batch or in two, are both reported (text and --json); a failing network level
// is reported once, alone.
// TestCheckEvaluatesTheSystems: check instantiates the systems (nothing built), so a
// mistake that only a system's evaluation finds fails check as it would fail build.
func TestCheckEvaluatesTheSystems(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(testutil.RepoRoot(), "cmd", "nixmesh", "testdata", "system-only-mistake.nix")
	code, _, stderr := nixmesh(t, "-f", file, "check")
	if code != exitEval || !strings.Contains(stderr, "nodes.web.configuration.environment.etc.\"web/config\".target' has the value `web/./config'") {
		t.Errorf("check: exit %d, want 3 naming the target:\n%s", code, stderr)
	}
	if code, _, stderr := nixmesh(t, "-f", file, "check", "--", "--arg", "bad", "false"); code != 0 {
		t.Errorf("check of the fixed deployment: exit %d:\n%s", code, stderr)
	}
}

func TestCheckFindsEveryBrokenHost(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := filepath.Join(testutil.RepoRoot(), "cmd", "nixmesh", "testdata", "one-host-broken.nix")
	const dbError, cacheError = "nodes.db.configuration.users.users.x.uid", "nodes.cache.configuration.networking.hostName"
	for _, batch := range []string{"1", "2", "10"} {
		code, _, stderr := nixmesh(t, "-f", file, "check", "--eval-batch", batch, "--", "--arg", "secondBroken", "true")
		if code != exitEval || strings.Count(stderr, "option: "+dbError+"\n") != 1 || strings.Count(stderr, "option: "+cacheError+"\n") != 1 {
			t.Errorf("--eval-batch %s: exit %d, want 3 with both hosts' problems once each:\n%s", batch, code, stderr)
		}
		// In the order of their option paths, whichever worker finished first.
		if strings.Index(stderr, cacheError) > strings.Index(stderr, dbError) {
			t.Errorf("--eval-batch %s: db's problem before cache's:\n%s", batch, stderr)
		}
	}
	code, stdout, stderr := nixmesh(t, "-f", file, "check", "--json", "--", "--arg", "secondBroken", "true")
	var rep checkReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitEval || len(rep.Problems) != 2 {
		t.Errorf("check --json: exit %d, %v, report %+v\n%s", code, err, rep, stderr)
	}
	code, _, stderr = nixmesh(t, "-f", file, "check", "--eval-batch", "1", "--", "--arg", "secondBroken", "true", "--arg", "failNetwork", "true")
	if code != exitEval || strings.Count(stderr, "the network level fails on purpose") != 1 || strings.Contains(stderr, dbError) {
		t.Errorf("a failing network level: exit %d, want it reported once and alone:\n%s", code, stderr)
	}
}
