package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// The next worker's batch: the even share, smaller where a worker's part of the budget
// (less the network level's memory) holds fewer nodes, never below one, never above
// what is left; a fixed batch wins.
func TestBatchSize(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		remaining, share, fixed, workers int
		budget, network, perNode         int64
		want                             int
	}{
		{40, 10, 0, 4, -1, 0, 64 * mib, 10},                 // no limit: the share
		{40, 10, 0, 4, 40000 * mib, 0, 64 * mib, 10},        // plenty: the share
		{40, 10, 0, 4, 4096 * mib, 0, 512 * mib, 2},         // 1 GiB per worker: two 512 MiB nodes
		{40, 10, 0, 4, 4096 * mib, 512 * mib, 256 * mib, 2}, // 1 GiB per worker, half of it the network level
		{40, 10, 0, 4, 1024 * mib, 0, 512 * mib, 1},         // not even one fits a worker's part: one
		{40, 10, 0, 4, 1024 * mib, 2048 * mib, 1 * mib, 1},  // nor the network level alone: one
		{3, 10, 0, 4, 40000 * mib, 0, 64 * mib, 3},          // what is left
		{40, 10, 5, 4, 1024 * mib, 0, 512 * mib, 5},         // --eval-batch is taken as given
		{0, 10, 0, 4, -1, 0, 64 * mib, 1},                   // never zero
	} {
		if got := batchSize(tt.remaining, tt.share, tt.fixed, tt.workers, tt.budget, tt.network, tt.perNode); got != tt.want {
			t.Errorf("batchSize(%d left, share %d, fixed %d, %d workers, budget %d MiB, network %d MiB, %d MiB/node) = %d, want %d",
				tt.remaining, tt.share, tt.fixed, tt.workers, tt.budget/mib, tt.network/mib, tt.perNode/mib, got, tt.want)
		}
	}
}

// What a finished worker teaches about a node's memory leaves out the worker's fixed
// part: the network level's for the worker that evaluated it, the Nix process's own for
// the others. Counting all of a worker's fixed part as its nodes' made a smaller batch
// look heavier per node, so the next one was smaller still, down to one node per
// process; the rest of the fixed part must still never make a node look lighter than it
// is (no batch started beyond its share of the budget).
func TestMeasuredNodeMemoryKeepsTheBatches(t *testing.T) {
	const mib = 1 << 20
	if got := nodeMemory(120*1024, 4, 100*mib); got != 5*mib {
		t.Errorf("a worker of 4 nodes peaking at 120 MiB, 100 MiB of it fixed: %d MiB per node, want 5", got/mib)
	}
	if got := nodeMemory(90*1024, 2, 100*mib); got != 1*mib {
		t.Errorf("a worker below its fixed part: %d MiB per node, want the floor of 1", got/mib)
	}
	// The scheduler's loop: 80 nodes, two workers, a budget of 400 MiB (200 MiB each),
	// an index of 46 MiB. A worker without the network level holds `own` MiB of its own
	// (Nix, and what its nodes share, such as one package set) and `node` MiB per node.
	for _, tt := range []struct{ own, node, least int64 }{
		{30, 23, 5}, // the 3,000-option benchmark's nodes: 5 fit (6 would be 168 MiB, estimated 202)
		{150, 5, 2}, // a large shared part: 10 would fit; counted whole, it left batches of one
	} {
		network, perNode, measured := int64(46*mib), int64(64*mib), false
		for round := 0; round < 8; round++ {
			b := batchSize(80, 10, 0, 2, 400*mib, network, perNode)
			rss := (tt.own + int64(b)*tt.node) * mib
			if measured && rss > 200*mib {
				t.Errorf("own %d MiB, %d MiB a node: round %d started %d nodes, %d MiB, beyond the worker's 200 MiB", tt.own, tt.node, round, b, rss/mib)
			}
			if measured && int64(b) < tt.least {
				t.Errorf("own %d MiB, %d MiB a node: round %d started %d nodes (estimate %d MiB a node), want at least %d", tt.own, tt.node, round, b, perNode/mib, tt.least)
			}
			seen := nodeMemory(rss>>10, b, nixProcessMemory)
			if !measured || seen > perNode {
				perNode = seen
			}
			measured = true
		}
	}
}

// The batch cap: ten until a node has been measured; where the network level costs
// much against a node (a large fleet of light nodes), as many nodes as make it a
// quarter of the batch's CPU, but no more than hold the network level's memory; at
// NixOS weight, ten.
func TestBatchCap(t *testing.T) {
	const mib = 1 << 20
	ms := time.Millisecond
	for _, tt := range []struct {
		what       string
		network    NetworkCost
		nodeCPU    time.Duration
		nodeMemory int64
		want       int
	}{
		{"nothing measured", NetworkCost{}, 0, 64 * mib, 10},
		{"network unknown", NetworkCost{}, 30 * ms, 6 * mib, 10},
		{"node not yet measured", NetworkCost{CPU: 900 * ms, Memory: 260 * mib}, 0, 64 * mib, 10},
		{"1000 light nodes: memory bounds it", NetworkCost{CPU: 900 * ms, Memory: 260 * mib}, 30 * ms, 6 * mib, 43},
		{"1000 light nodes, small ones: CPU bounds it", NetworkCost{CPU: 900 * ms, Memory: 260 * mib}, 30 * ms, 1 * mib, 121},
		{"NixOS weight", NetworkCost{CPU: 300 * ms, Memory: 100 * mib}, 1500 * ms, 170 * mib, 10},
		{"a small fleet", NetworkCost{CPU: 50 * ms, Memory: 40 * mib}, 30 * ms, 6 * mib, 10},
	} {
		if got := batchCap(tt.network, tt.nodeCPU, tt.nodeMemory); got != tt.want {
			t.Errorf("%s: batchCap(%v, %v, %d MiB) = %d, want %d", tt.what, tt.network, tt.nodeCPU, tt.nodeMemory/mib, got, tt.want)
		}
	}
}

// The memory budget shapes the workers: with room for one node at a time, every node
// gets a worker of its own and they run one after another; without a limit they run
// side by side. Either way each node is evaluated once and the plan is the same.
func TestWorkersKeepToTheMemoryBudget(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ev := &Evaluator{File: fixture(t, "basic")}
	names := []string{"gateway", "old", "web", "web2"}

	tight, _, stats, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Memory: 1, PerNode: NixOSNodeMemory})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Workers != 4 || stats.MaxRunning != 1 || stats.Budget != 1 {
		t.Errorf("a 1-byte budget: %d workers, at most %d at once (budget %d), want 4 one at a time", stats.Workers, stats.MaxRunning, stats.Budget)
	}

	loose, _, stats, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Memory: -1, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Workers != 4 || stats.MaxRunning != 2 || stats.Budget != -1 {
		t.Errorf("no limit: %d workers, at most %d at once (budget %d), want 4, two at a time", stats.Workers, stats.MaxRunning, stats.Budget)
	}
	for _, n := range names {
		if stats.Evaluated[n] != 1 {
			t.Errorf("node %s evaluated %d times", n, stats.Evaluated[n])
		}
		if tight.Nodes[n] == nil || loose.Nodes[n] == nil || tight.Nodes[n].Port != loose.Nodes[n].Port {
			t.Errorf("node %s: %+v vs %+v", n, tight.Nodes[n], loose.Nodes[n])
		}
	}

	// A budget that holds two NixOS-sized estimates: the one worker's even share (all
	// four) is cut to batches of two, so two processes; without a budget, one.
	_, _, stats, err = ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 1, Memory: 2 * NixOSNodeMemory, PerNode: NixOSNodeMemory})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Workers != 2 || stats.Evaluated["web2"] != 1 {
		t.Errorf("budget of two nodes: %d workers (want 2), evaluated %v", stats.Workers, stats.Evaluated)
	}
	_, _, stats, err = ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 1, Memory: -1, PerNode: NixOSNodeMemory})
	if err != nil || stats.Workers != 1 {
		t.Errorf("no budget: %d workers (want 1), %v", stats.Workers, err)
	}
}

// A failing worker stops the others from starting and its error is the one returned.
func TestWorkersStopAtTheFirstError(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ev := &Evaluator{File: fixture(t, "bad-port")}
	_, _, stats, err := ev.EvalNodes(context.Background(), []string{"web", "web2", "web3"}, WorkerLimits{Workers: 1, Batch: 1})
	var ee *EvalError
	if !errors.As(err, &ee) || len(ee.Diagnostics) != 1 || ee.Diagnostics[0].OptionPath != "nodes.web.port" {
		t.Fatalf("err = %v, want web's port", err)
	}
	if stats.Workers != 1 || len(stats.Evaluated) != 0 {
		t.Errorf("stats %+v", stats)
	}
}

// workersDeployment writes a deployment of four standalone nodes (a, b, c, z) on the
// framework itself, whose network level prints a warning naming the nodes it was
// evaluated with (so each worker that evaluates the network level prints its own
// line); `--arg networkFails true` makes the network level fail slowly (after about a
// second of work), `--arg breakZ true` makes node z's host fail at once.
func workersDeployment(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := `{ networkFails ? false, breakZ ? false }:
import ` + testutil.NixModules() + ` { } ({ config, lib, ... }: {
  nodes = builtins.mapAttrs (n: ip: {
    host = "root@198.18.0.${toString ip}";
    configuration.environment.etc.who.text = if n == "z" && breakZ then throw "node z broke" else n;
  }) { a = 1; b = 2; c = 3; z = 4; };
  warnings = [ "network level evaluated with ${builtins.toJSON config.checkScope}" ];
  assertions = [{
    assertion = !networkFails || builtins.foldl' builtins.add 0 (builtins.genList (i: i) 4000000) < 0;
    message = "the network level is broken";
  }];
})
`
	p := filepath.Join(dir, "deploy.nix")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// One worker evaluates the network level (its checks, warnings and plan), the others
// only their nodes: over a large fleet the network level costs more than a light
// node, and it used to be evaluated by every worker.
func TestWorkersEvaluateTheNetworkLevelOnce(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	var stderr bytes.Buffer
	ev := &Evaluator{File: workersDeployment(t), Stderr: &stderr}
	names := []string{"a", "b", "c", "z"}
	plan, drvs, stats, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(stderr.String(), "network level evaluated with"); got != 1 || stats.Workers != 4 {
		t.Errorf("%d workers; the network level was evaluated by %d of them, want 1:\n%s", stats.Workers, got, stderr.String())
	}
	for _, n := range names {
		if stats.Evaluated[n] != 1 || drvs[n] == "" || plan.Nodes[n] == nil || !strings.HasPrefix(plan.Nodes[n].Hostname, "198.18.0.") {
			t.Errorf("node %s: evaluated %d times, drv %q, plan %+v", n, stats.Evaluated[n], drvs[n], plan.Nodes[n])
		}
	}
	if plan.Network == nil || plan.Version != PlanVersion {
		t.Errorf("the plan lacks the network level: %+v", plan)
	}
}

// A failing network level is the one error, also where a node worker fails first (the
// network level fails after a second of work, node z at once): a node's failure is
// reported only once the network level has passed.
func TestWorkersReportTheNetworkLevelFirst(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	file := workersDeployment(t)
	names := []string{"a", "b", "c", "z"}
	for _, keepGoing := range []bool{false, true} {
		ev := &Evaluator{File: file, NixArgs: []string{"--arg", "networkFails", "true", "--arg", "breakZ", "true"}, Stderr: io.Discard}
		_, _, _, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Batch: 1, KeepGoing: keepGoing})
		if text := errText(err); err == nil || !strings.Contains(text, "the network level is broken") || strings.Contains(text, "node z broke") {
			t.Errorf("keep going %v: err = %s, want the network level's failure alone", keepGoing, errText(err))
		}
		// With the network level sound, z's failure is the error.
		ev.NixArgs = []string{"--arg", "breakZ", "true"}
		_, _, stats, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Batch: 1, KeepGoing: keepGoing})
		if err == nil || !strings.Contains(errText(err), "node z broke") {
			t.Errorf("keep going %v: err = %s, want node z's failure", keepGoing, errText(err))
		}
		if keepGoing && stats.Evaluated["c"] != 1 {
			t.Errorf("keep going: c evaluated %d times, want 1", stats.Evaluated["c"])
		}
	}
}

// errText is an error with what Nix printed, where it is an evaluation's.
func errText(err error) string {
	var ee *EvalError
	if errors.As(err, &ee) && ee.Proc != nil {
		return err.Error() + "\n" + ee.Proc.Stderr
	}
	return fmt.Sprint(err)
}

// A worker more only where it saves as much wall time as the CPU its start costs.
func TestUsefulWorkers(t *testing.T) {
	ms := time.Millisecond
	for _, tt := range []struct {
		what    string
		n       int
		perNode time.Duration
		fixed   time.Duration
		workers int
		want    int
	}{
		{"fixed cost unknown: all", 5, 15 * ms, 0, 4, 4},
		{"five light nodes: one", 5, 15 * ms, 100 * ms, 2, 1},
		{"twenty light nodes: their share is worth a second start", 20, 15 * ms, 100 * ms, 2, 2},
		{"twenty light nodes, eight cores: two", 20, 15 * ms, 100 * ms, 8, 2},
		{"a thousand light nodes, eight cores: all", 1000, 15 * ms, 100 * ms, 8, 8},
		{"two NixOS nodes: both", 2, 2 * time.Second, 300 * ms, 4, 4},
		{"one worker allowed", 1000, 15 * ms, 100 * ms, 1, 1},
	} {
		if got := usefulWorkers(tt.n, tt.perNode, tt.fixed, tt.workers); got != tt.want {
			t.Errorf("%s: usefulWorkers(%d, %v, %v, %d) = %d, want %d", tt.what, tt.n, tt.perNode, tt.fixed, tt.workers, got, tt.want)
		}
	}
}

// Light nodes that would not pay for a second process's start are evaluated in one;
// heavy ones (or an unknown fixed cost) are spread over the workers.
func TestLightNodesShareOneWorker(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	ev := &Evaluator{File: fixture(t, "basic")}
	names := []string{"gateway", "old", "web", "web2"}
	fixed := NetworkCost{CPU: 100 * time.Millisecond, Memory: 30 << 20}
	_, _, stats, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Network: fixed})
	if err != nil || stats.Workers != 1 {
		t.Errorf("four light nodes: %d workers (want 1), %v", stats.Workers, err)
	}
	_, _, stats, err = ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Network: fixed, PerNodeCPU: NixOSNodeCPU})
	if err != nil || stats.Workers != 2 || stats.MaxRunning != 2 {
		t.Errorf("four NixOS-weight nodes: %d workers, %d at once (want 2, 2), %v", stats.Workers, stats.MaxRunning, err)
	}
	for _, n := range names {
		if stats.Evaluated[n] != 1 {
			t.Errorf("node %s evaluated %d times", n, stats.Evaluated[n])
		}
	}
}

// Light by their kind's estimate, twelve nodes still go at most ten to a process until
// a worker has been measured: were they heavy, one process would hold them all.
func TestFewerWorkersKeepTheBatchCap(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	p := filepath.Join(t.TempDir(), "deploy.nix")
	src := `import ` + testutil.NixModules() + ` { } {
  nodes = builtins.listToAttrs (builtins.genList (i: {
    name = "n${toString i}";
    value.host = "root@198.18.0.${toString (i + 1)}";
  }) 12);
}
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 12)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	ev := &Evaluator{File: p}
	_, _, stats, err := ev.EvalNodes(context.Background(), names, WorkerLimits{Workers: 2, Network: NetworkCost{CPU: time.Second}})
	if err != nil || stats.Workers != 2 {
		t.Fatalf("twelve light nodes: %d processes (want 2: ten, then two), %v", stats.Workers, err)
	}
	for _, n := range names {
		if stats.Evaluated[n] != 1 {
			t.Errorf("node %s evaluated %d times", n, stats.Evaluated[n])
		}
	}
}
