// Package bench measures how long evaluating a whole network takes: network.nix
// generates N standalone nodes (--argstr nodes N), and BenchmarkEvalNetwork reads their
// plan with one nix-instantiate call, as the Go side does. Run it with
//
//	go test -run '^$' -bench . -benchtime 1x ./nix-modules/bench/
//
// ns/node is the wall-clock time per node, cpu-ns/node the CPU time nix-instantiate
// spent per node (steadier on a busy machine), cpu-s/op the CPU time of one whole
// evaluation. There are no timed tests, only this benchmark.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

func networkFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "network.nix")
}

func BenchmarkEvalNetwork(b *testing.B) {
	testutil.RequireNix(b)
	testutil.SetNixEnv(b)
	for _, n := range []int{10, 100, 500} {
		b.Run("nodes="+strconv.Itoa(n), func(b *testing.B) {
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-A", "plan",
					"--argstr", "nodes", strconv.Itoa(n), networkFile())
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					b.Fatalf("nix-instantiate (nodes=%d): %v\n%s", n, err, stderr.String())
				}
				// Not timed work, but a check that the benchmark measured a real plan.
				b.StopTimer()
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				var plan struct {
					Nodes map[string]json.RawMessage `json:"nodes"`
				}
				if err := json.Unmarshal(stdout.Bytes(), &plan); err != nil {
					b.Fatalf("decoding the plan: %v", err)
				}
				if len(plan.Nodes) != n {
					b.Fatalf("plan has %d nodes, want %d", len(plan.Nodes), n)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/node")
			// CPU time of nix-instantiate itself: the figure to compare on a busy machine.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/node")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkWorkers compares, on 20, 80 and 200 nodes that each carry a host module of
// 3,000 options (network.nix, heavy), today's former way of evaluating (one process for
// the whole plan, one for every system's instantiation) with the engine's workers
// (eval.EvalNodes: each node once, at most a batch of nodes per process, one process
// per CPU at a time). It prints wall time, CPU time and the largest peak RSS of one
// process for both ways, and the ratios the aims are stated in (80 nodes within 2.5x
// the wall time of 20, peak RSS at 80 within 1.5x that at 20), in the same run:
//
//	go test -run '^$' -bench 'Workers$' -benchtime 1x ./nix-modules/bench/
func BenchmarkWorkers(b *testing.B) {
	compareWorkers(b, []string{"--argstr", "heavy", "3000"}, 400<<20)
}

// BenchmarkWorkersNixOSWeight is BenchmarkWorkers with a host module of NixOS's weight
// (writeNixOSWeight: 1,500 service modules, 12,000 options, a package set of 2,000
// derivations instantiated per node; about 1.5 s of CPU and 200 MB per node). The former
// way is run only where its one process fits in memory (it holds every node); where it
// does not, the table says what it would need. Several minutes:
//
//	go test -run '^$' -bench WorkersNixOSWeight -benchtime 1x -timeout 30m ./nix-modules/bench/
func BenchmarkWorkersNixOSWeight(b *testing.B) {
	dir := b.TempDir()
	if err := writeNixOSWeight(dir, 1500, 2000); err != nil {
		b.Fatal(err)
	}
	compareWorkers(b, []string{"--argstr", "nixosWeight", dir}, 3<<30)
}

// cost is what one way of evaluating N nodes took.
type cost struct {
	wall, cpu time.Duration
	rssKB     int64
	processes int
	skipped   string // the former way not run: why
}

// formerWay evaluates and instantiates n nodes of network.nix (args) the former way:
// the whole plan, then every system, in two processes, each holding every node.
func formerWay(b *testing.B, args []string, n int) cost {
	var c cost
	start := time.Now()
	run := func(argv ...string) []byte {
		cmd := exec.Command("nix-instantiate", append(argv, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, stderr.String())
		}
		c.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && u.Maxrss > c.rssKB {
			c.rssKB = u.Maxrss
		}
		return stdout.Bytes()
	}
	run("--eval", "--strict", "--json", "-A", "plan", networkFile())
	// Every system in one process. (Not with one -A per node, as the engine did:
	// nix-instantiate calls a deployment that is a function anew for every -A, which
	// made that instantiation quadratic in the nodes.)
	all := `{ ... }@args: { r = let d = import ` + networkFile() + ` args; in map (n: d.systems.${n}.drvPath) (builtins.attrNames d.config.nodes); }`
	if got := strings.Count(string(run("--eval", "--strict", "--json", "--read-write-mode", "-E", all, "-A", "r")), ".drv\""); got != n {
		b.Fatalf("instantiated %d systems, want %d", got, n)
	}
	c.wall = time.Since(start)
	return c
}

// workersWay evaluates and instantiates n nodes of network.nix (args) as build and
// deploy do: the index, then eval.EvalNodes with the limits the CLI gives it (the
// index's network cost and memory prior; batch and memory budget as given), and checks that every
// node was evaluated exactly once.
func workersWay(b *testing.B, args []string, n int, limits eval.WorkerLimits) (cost, *eval.WorkerStats) {
	ev := &eval.Evaluator{File: networkFile(), NixArgs: args, Env: testutil.NixEnv()}
	start := time.Now()
	index, err := ev.Index(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	limits.Network, limits.PerNode, limits.PerNodeCPU = index.IndexCost, index.MemoryPrior(index.Names()), index.CPUPrior(index.Names())
	_, drvs, stats, err := ev.EvalNodes(context.Background(), index.Names(), limits)
	if err != nil {
		b.Fatal(err)
	}
	if len(drvs) != n || len(stats.Evaluated) != n {
		b.Fatalf("workers gave %d systems for %d nodes", len(drvs), n)
	}
	for name, k := range stats.Evaluated {
		if k != 1 {
			b.Fatalf("node %s evaluated %d times", name, k)
		}
	}
	return cost{wall: time.Since(start), cpu: stats.CPU + index.IndexCost.CPU, rssKB: stats.PeakRSSKB, processes: stats.Workers}, stats
}

// compareWorkers runs the former way and the workers on 20, 80 and 200 nodes of
// network.nix with the given arguments, prints the table, then the workers on 80 nodes
// held to the given memory budget.
func compareWorkers(b *testing.B, weightArgs []string, budget int64) {
	testutil.RequireNix(b)
	testutil.SetNixEnv(b)
	sizes := []int{20, 80, 200}
	before, after := map[int]cost{}, map[int]cost{}
	for _, n := range sizes {
		args := append([]string{"--argstr", "nodes", strconv.Itoa(n)}, weightArgs...)
		b.Run("nodes="+strconv.Itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				// The former way is not run where it cannot fit: its memory grows with
				// the nodes, as the smallest size's run shows.
				var c cost
				if base, ok := before[sizes[0]]; ok && base.rssKB > 0 {
					need := base.rssKB << 10 * int64(n) / int64(sizes[0])
					if avail := eval.DefaultMemoryBudget(); avail > 0 && need > avail*6/10 {
						c.skipped = fmt.Sprintf("not run: needs about %.0f GiB in one process", float64(need)/(1<<30))
					}
				}
				if c.skipped == "" {
					c = formerWay(b, args, n)
				}
				before[n] = c
				after[n], _ = workersWay(b, args, n, eval.WorkerLimits{})
			}
			b.ReportMetric(after[n].wall.Seconds(), "workers-wall-s")
			b.ReportMetric(float64(after[n].rssKB)/1024, "workers-peak-MiB")
			if before[n].skipped == "" {
				b.ReportMetric(before[n].wall.Seconds(), "former-wall-s")
				b.ReportMetric(float64(before[n].rssKB)/1024, "former-peak-MiB")
			}
		})
	}
	base := sizes[0]
	if _, ok := after[base]; !ok {
		return
	}
	fmt.Printf("%-6s  %-26s  %-30s  %s\n", "nodes", "former (wall, cpu, peak)", "workers (wall, cpu, peak, n)", "workers vs 20 nodes: wall, peak")
	for _, n := range sizes {
		f, w := before[n], after[n]
		if w.wall == 0 {
			continue
		}
		former := fmt.Sprintf("%5.1fs %6.1fs %6d MiB", f.wall.Seconds(), f.cpu.Seconds(), f.rssKB/1024)
		if f.skipped != "" {
			former = f.skipped
		}
		fmt.Printf("%-6d  %-26s  %5.1fs %6.1fs %6d MiB %3d    %.2fx, %.2fx\n", n, former,
			w.wall.Seconds(), w.cpu.Seconds(), w.rssKB/1024, w.processes,
			w.wall.Seconds()/after[base].wall.Seconds(), float64(w.rssKB)/float64(after[base].rssKB))
	}

	// Why the wall-time aim (80 nodes within 2.5x of 20) is out of reach: with every
	// node evaluated once the work is linear in the nodes, and both sizes keep every
	// core busy, so the wall-time ratio follows the CPU ratio.
	if w20, w80 := after[base], after[80]; w20.cpu > 0 && w80.cpu > 0 {
		fmt.Printf("CPU per node: %.0f ms at %d nodes, %.0f ms at 80; CPU 80/%d = %.2fx (wall %.2fx): below 2.5x only if a node got cheaper as the fleet grew\n",
			w20.cpu.Seconds()*1000/float64(base), base, w80.cpu.Seconds()*1000/80, base,
			w80.cpu.Seconds()/w20.cpu.Seconds(), w80.wall.Seconds()/w20.wall.Seconds())
	}

	// The memory budget at work: 80 nodes held to a budget for all workers together,
	// against the default budget's run above.
	_, stats := workersWay(b, append([]string{"--argstr", "nodes", "80"}, weightArgs...), 80, eval.WorkerLimits{Memory: budget})
	fmt.Printf("80 nodes, budget %d MiB: %.1fs wall, %d processes, at most %d at once, largest peak %d MiB (default budget: %d processes, peak %d MiB)\n",
		budget>>20, stats.Wall.Seconds(), stats.Workers, stats.MaxRunning, stats.PeakRSSKB/1024, after[80].processes, after[80].rssKB/1024)
}

// BenchmarkLightFleet evaluates 1,000 light standalone nodes (network.nix without a
// host module: a few users, files and hosts entries each), where the network level
// (1,000 nodes' options, merged and checked) costs more than ten nodes: the former way,
// the workers in batches of ten (--eval-batch 10), and the workers as the CLI runs
// them (batches sized from the network level's measured cost), in one run:
//
//	go test -run '^$' -bench LightFleet -benchtime 1x ./nix-modules/bench/
func BenchmarkLightFleet(b *testing.B) {
	testutil.RequireNix(b)
	testutil.SetNixEnv(b)
	const n = 1000
	args := []string{"--argstr", "nodes", strconv.Itoa(n)}
	var former, ten, sized cost
	for i := 0; i < b.N; i++ {
		former = formerWay(b, args, n)
		ten, _ = workersWay(b, args, n, eval.WorkerLimits{Batch: 10})
		sized, _ = workersWay(b, args, n, eval.WorkerLimits{})
	}
	b.ReportMetric(sized.wall.Seconds(), "workers-wall-s")
	b.ReportMetric(former.wall.Seconds(), "former-wall-s")
	fmt.Printf("%d light nodes   %-32s  %s\n", n, "wall, cpu, largest peak, processes", "wall vs former")
	for _, r := range []struct {
		name string
		c    cost
	}{{"former way", former}, {"workers, batches of 10", ten}, {"workers, sized batches", sized}} {
		processes := r.c.processes
		if processes == 0 {
			processes = 2
		}
		fmt.Printf("%-24s  %5.1fs %6.1fs %6d MiB %4d   %.2fx\n", r.name, r.c.wall.Seconds(), r.c.cpu.Seconds(), r.c.rssKB/1024, processes, r.c.wall.Seconds()/former.wall.Seconds())
	}
}
