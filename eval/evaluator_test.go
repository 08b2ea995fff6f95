package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name, "deploy.nix"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanFromNix(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ev := &Evaluator{File: fixture(t, "basic"), NixArgs: []string{"--arg", "webPort", "2222"}}
	n, err := ev.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.Names(), ","); got != "gateway,old,web,web2" {
		t.Errorf("Names = %s", got)
	}
	if n.Nodes["web"].Port != 2222 {
		t.Errorf("web's port = %d: --arg after -- was not passed to nix", n.Nodes["web"].Port)
	}
	if n.Nodes["web2"].User != "" || n.Nodes["old"].Enable {
		t.Errorf("web2/old = %+v %+v", n.Nodes["web2"], n.Nodes["old"])
	}
	if wg := n.Nodes["gateway"].Configuration.Networking.Wireguard.Interfaces["wg0"]; *wg.ListenPort != 51820 {
		t.Errorf("gateway wg0 = %+v", wg)
	}
}

func TestPlanEvalError(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := fixture(t, "bad-port")
	_, err := (&Evaluator{File: file}).Plan(context.Background())
	var ee *EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v (%T), want *EvalError", err, err)
	}
	if len(ee.Diagnostics) != 1 {
		t.Fatalf("diagnostics = %#v", ee.Diagnostics)
	}
	d := ee.Diagnostics[0]
	if d.OptionPath != "nodes.web.port" || d.File != file || d.Line != 5 || d.Col != 5 {
		t.Errorf("diagnostic = %+v", d)
	}
	if ee.Proc == nil || ee.Proc.ExitCode != 1 || !strings.Contains(ee.Proc.Stderr, "70000") {
		t.Errorf("process error = %+v", ee.Proc)
	}
	if strings.Contains(ee.Error(), "\n") || !strings.Contains(ee.Error(), file+":5:5") {
		t.Errorf("Error() = %q, want one line with the location", ee.Error())
	}
}

func TestInstantiateOnce(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ev := &Evaluator{File: fixture(t, "basic")}
	drvs, err := ev.Instantiate(context.Background(), []string{"web", "gateway"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(drvs["web"], "-nixmesh-system-web.drv") || !strings.HasSuffix(drvs["gateway"], "-nixmesh-system-gateway.drv") {
		t.Errorf("drvs = %v", drvs)
	}
	_, err = ev.Instantiate(context.Background(), []string{"web", "nope"})
	var ee *EvalError
	if !errors.As(err, &ee) || !strings.Contains(ee.Diagnostics[0].Message, "'nope'") {
		t.Errorf("err = %v, want an EvalError naming the missing system", err)
	}
}

// recorder is a Progress that remembers what it was told.
type recorder struct {
	mu     sync.Mutex
	status map[string][]string
	logs   map[string]*strings.Builder
	done   map[string]error
}

func newRecorder() *recorder {
	return &recorder{status: map[string][]string{}, logs: map[string]*strings.Builder{}, done: map[string]error{}}
}

func (r *recorder) Status(h, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status[h] = append(r.status[h], s)
}

func (r *recorder) Writer(h string) io.Writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logs[h] == nil {
		r.logs[h] = &strings.Builder{}
	}
	return lockedWriter{&r.mu, r.logs[h]}
}

func (r *recorder) Done(h string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.done[h]; dup {
		panic("Done twice for " + h)
	}
	r.done[h] = err
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestBuild(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ev := &Evaluator{File: fixture(t, "basic"), NixArgs: []string{"--arg", "breakWeb", "true"}}
	drvs, err := ev.Instantiate(context.Background(), []string{"gateway", "web", "web2"})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	paths, err := ev.Build(context.Background(), drvs, 2, rec)

	// gateway and web2 built; web failed, and the error says which host and why.
	for _, h := range []string{"gateway", "web2"} {
		b, rerr := os.ReadFile(paths[h])
		if rerr != nil || strings.TrimSpace(string(b)) != h {
			t.Errorf("%s: path %q holds %q (%v)", h, paths[h], b, rerr)
		}
		// (Built by an earlier run of the tests, it is found valid and not built again.)
		if st := fmt.Sprint(rec.status[h]); rec.done[h] != nil || st != "[building]" && st != "[already built]" {
			t.Errorf("%s: progress done=%v status=%v", h, rec.done[h], rec.status[h])
		}
	}
	if _, ok := paths["web"]; ok {
		t.Errorf("web has a path although it failed: %v", paths)
	}
	var he *HostError
	if !errors.As(err, &he) || he.Host != "web" || he.Phase != "build" {
		t.Fatalf("err = %v, want a HostError for web", err)
	}
	var be *BuildError
	if !errors.As(err, &be) || be.Drv != drvs["web"] || !strings.Contains(be.Error(), "failed with exit code 1") {
		t.Errorf("build error = %v", be)
	}
	var pe *command.ProcessError
	if !errors.As(err, &pe) || !strings.Contains(pe.Stderr, "broken on purpose") {
		t.Errorf("the process error with the build log is not reachable: %v", pe)
	}
	if rec.done["web"] == nil {
		t.Error("progress was not told that web failed")
	}
	if !strings.Contains(rec.logs["web"].String(), "broken on purpose\n") {
		t.Errorf("web's log = %q, want the builder's stderr", rec.logs["web"])
	}
	if strings.Contains(rec.logs["web"].String(), "--add-root") {
		t.Errorf("log holds the --add-root reminder: %q", rec.logs["web"])
	}
}

func TestBuildPlainPrefixesHosts(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	var stderr syncBuffer
	ev := &Evaluator{File: fixture(t, "basic"), Stderr: &stderr, NixArgs: []string{"--arg", "breakWeb", "true"}}
	drvs, err := ev.Instantiate(context.Background(), []string{"web"})
	if err != nil {
		t.Fatal(err)
	}
	// web fails on every run, so its build log is printed every time.
	if _, err := ev.Build(context.Background(), drvs, 1, nil); err == nil {
		t.Fatal("web built although broken")
	}
	lines := command.Lines(stderr.String())
	found := false
	for _, l := range lines {
		if !strings.HasPrefix(l, "[web] ") {
			t.Errorf("line without host prefix: %q", l)
		}
		found = found || l == "[web] broken on purpose"
	}
	if !found {
		t.Errorf("the builder's stderr was not streamed: %q", lines)
	}
}

func TestBuildCancelledStartsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := newRecorder()
	ev := &Evaluator{}
	paths, err := ev.Build(ctx, map[string]string{"a": "/nix/store/x-a.drv", "b": "/nix/store/x-b.drv"}, 1, rec)
	if len(paths) != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("paths = %v, err = %v", paths, err)
	}
	var hosts []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		hosts = append(hosts, e.(*HostError).Host)
	}
	sort.Strings(hosts)
	if fmt.Sprint(hosts) != "[a b]" || len(rec.status) != 0 {
		t.Errorf("failed hosts = %v, started = %v", hosts, rec.status)
	}
}

func TestAttrName(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "web-1": "web-1", "a.b": `"a.b"`, `q"x`: `"q\"x"`, "1st": `"1st"`} {
		if got := AttrName(in); got != want {
			t.Errorf("AttrName(%q) = %s, want %s", in, got, want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// After the workers, a build of systems already in the store asks the store one thing:
// which of the outputs the workers printed are valid (no `nix-store -q --outputs`), and
// Outputs asks nothing.
func TestBuildUsesTheWorkersOutputs(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	real, err := exec.LookPath("nix-store")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	wrapper := "#!/bin/sh\necho \"$*\" >> " + log + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "nix-store"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	names := []string{"gateway", "web2"}
	ev := &Evaluator{File: fixture(t, "basic")}
	_, drvs, _, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Built once (by an earlier test or now), then again: already built.
	if _, err := ev.Build(context.Background(), drvs, 2, nil); err != nil {
		t.Fatal(err)
	}
	os.Remove(log)
	rec := newRecorder()
	paths, err := ev.Build(context.Background(), drvs, 2, rec)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := ev.Outputs(context.Background(), drvs)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		want, err := command.Output(context.Background(), command.Cmd{Argv: []string{real, "-q", "--outputs", drvs[n]}})
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.TrimSpace(string(want)); paths[n] != w || outs[n] != w {
			t.Errorf("%s: Build gave %q, Outputs %q, the store says %q", n, paths[n], outs[n], w)
		}
		if st := fmt.Sprint(rec.status[n]); st != "[already built]" {
			t.Errorf("%s: status %s, want already built", n, st)
		}
	}
	calls, _ := os.ReadFile(log)
	if got := strings.Split(strings.TrimSpace(string(calls)), "\n"); len(got) != 1 || !strings.HasPrefix(got[0], "--check-validity") {
		t.Errorf("nix-store calls of the second build and Outputs:\n%s\nwant one --check-validity", calls)
	}
}
