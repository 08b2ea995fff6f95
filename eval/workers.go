package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
)

// Index evaluates the deployment's nodeIndex: every node's name, enable, tags and kind, no
// host evaluated. The Network it returns has only those fields (and no network level);
// it is what nodes are selected by before EvalNodes evaluates them. What its evaluation
// cost is kept (IndexCost): every worker evaluates as much of the network.
func (e *Evaluator) Index(ctx context.Context) (*Network, error) {
	var cost NetworkCost
	out, err := e.evalJSONUsage(ctx, e.File, "nodeIndex", func(u *syscall.Rusage) {
		cost = NetworkCost{CPU: time.Duration(u.Utime.Nano() + u.Stime.Nano()), Memory: u.Maxrss << 10}
	})
	if err != nil {
		return nil, err
	}
	var idx map[string]struct {
		Enable bool     `json:"enable"`
		Tags   []string `json:"tags"`
		Kind   string   `json:"kind"`
	}
	if err := json.Unmarshal(out, &idx); err != nil {
		return nil, fmt.Errorf("nodeIndex: %w", err)
	}
	n := &Network{Version: PlanVersion, Nodes: map[string]*Node{}, Network: map[string]json.RawMessage{}, IndexCost: cost}
	for name, x := range idx {
		n.Nodes[name] = &Node{Name: name, Enable: x.Enable, Tags: x.Tags, Kind: x.Kind}
	}
	return n, nil
}

// WorkerLimits bound the evaluation workers of EvalNodes and EvalPlan.
type WorkerLimits struct {
	// Workers is how many processes run at once; <= 0: one per CPU.
	Workers int
	// Batch is how many nodes one process takes; <= 0: chosen by memory, an even
	// share of the nodes among the workers, at most 10.
	Batch int
	// Memory is what the running workers may use together, in bytes: a worker's batch
	// is as large as its share fits and no worker starts whose estimate would exceed
	// it (one always runs). 0: DefaultMemoryBudget; < 0: no limit.
	Memory int64
	// PerNode is the estimate of one node's memory until a worker has been measured
	// (then the largest peak RSS per node seen so far is); <= 0: StandaloneNodeMemory.
	PerNode int64
	// PerNodeCPU is the estimate of one node's evaluation CPU (<= 0:
	// StandaloneNodeCPU). With the network level's CPU (a worker's fixed cost) it says
	// how many workers are worth starting (usefulWorkers): light nodes few enough to
	// cost less than a process's start get fewer, larger batches. Not with a fixed Batch.
	PerNodeCPU time.Duration
	// Network is what evaluating the network level costs one process (Index measures
	// it: IndexCost). One worker evaluates it in full, but the others may pay much of it
	// (a node reading every other node's settings evaluates them all), and it grows
	// with the fleet, so where it is large against a node's evaluation batches grow to
	// spread it (batchCap); zero: unknown, batches of at most 10.
	Network NetworkCost
	// KeepGoing finds every failing node instead of stopping at the first error (for
	// `check`): a failing network level is the one error (when the worker that
	// evaluated it with its nodes fails, the network level is evaluated alone to tell);
	// if it passes, the nodes of a failed batch are evaluated one by one, and the
	// distinct errors of all are returned together.
	KeepGoing bool
}

// NetworkCost is what one evaluation process spends on the network level (every node's
// network-level options, not its host): CPU time and peak RSS in bytes.
type NetworkCost struct {
	CPU    time.Duration
	Memory int64
}

// Estimates of what evaluating one node costs in memory before one has been measured
// (a NixOS host is hundreds of MB; a standalone one, tens).
const (
	NixOSNodeMemory      = 512 << 20
	StandaloneNodeMemory = 64 << 20
)

// Estimates of what evaluating one node costs in CPU (a standalone node of the examples
// takes 10-15 ms here; a NixOS host, seconds).
const (
	NixOSNodeCPU      = 2 * time.Second
	StandaloneNodeCPU = 15 * time.Millisecond
)

// CPUPrior is the per-node CPU estimate for the named nodes of an index: a NixOS node's
// if any of them is one.
func (n *Network) CPUPrior(names []string) time.Duration {
	if n.MemoryPrior(names) == NixOSNodeMemory {
		return NixOSNodeCPU
	}
	return StandaloneNodeCPU
}

// usefulWorkers is how many of at most `workers` processes are worth starting for n
// nodes of perNode CPU each, when every process first pays `fixed` (starting Nix and
// the network level; 0: unknown, all of them): one more only while it shortens the
// wall time (the nodes' share it takes over) by at least the CPU it costs, i.e. k
// workers while n*perNode >= fixed*k*(k-1). Five light nodes get one process, not two
// that each spend more on starting than on their nodes.
func usefulWorkers(n int, perNode, fixed time.Duration, workers int) int {
	k := 1
	nodes := time.Duration(n) * perNode
	for k < workers && (fixed <= 0 || nodes >= fixed*time.Duration(k*(k+1))) {
		k++
	}
	return k
}

// MemoryPrior is the per-node memory estimate for the named nodes of an index: a NixOS
// node's if any of them is one.
func (n *Network) MemoryPrior(names []string) int64 {
	for _, name := range names {
		if node := n.Nodes[name]; node != nil && node.Kind == "nixos" {
			return NixOSNodeMemory
		}
	}
	return StandaloneNodeMemory
}

// DefaultMemoryBudget is the workers' memory budget when none is given: what the
// kernel says is available (MemAvailable) less 1 GiB for everything else, at least
// 512 MiB; no limit (-1) where /proc/meminfo cannot be read.
func DefaultMemoryBudget() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return -1
			}
			return max(kb<<10-1<<30, 512<<20)
		}
	}
	return -1
}

// WorkerStats is what the worker processes of one EvalNodes cost: wall time, their CPU
// time together, the largest peak RSS of any one of them, how many ran at most at once,
// the memory budget they were held to (-1: none), and how often each node was
// evaluated (always once; benchmarks and tests check it).
type WorkerStats struct {
	Workers    int
	MaxRunning int
	Budget     int64
	Wall       time.Duration
	CPU        time.Duration
	PeakRSSKB  int64
	Evaluated  map[string]int
}

// EvalNodes evaluates the named nodes in worker processes: each worker is one
// nix-instantiate of nix-modules' forNodes for a batch of nodes (those nodes' plans,
// checks and instantiated systems; the first worker also evaluates and checks the
// network level, once for the run); a worker ends with its batch, so no process holds
// more than its batch of hosts whatever the fleet's size. How many run at once and how
// many nodes each takes follow the limits: by default one worker per CPU (fewer where
// the nodes are too light to pay for a process's start: usefulWorkers), batches of an
// even share (at most 10, more where the network level outweighs them: batchCap) made
// smaller, and starts held back, so that the workers' estimated memory stays within the
// budget; the estimate is the network level's and the largest peak RSS per node
// measured so far. It returns the plan of those nodes (with the network level), their
// .drv paths, and the workers' cost.
func (e *Evaluator) EvalNodes(ctx context.Context, names []string, limits WorkerLimits) (*Network, map[string]string, *WorkerStats, error) {
	return e.evalInWorkers(ctx, names, limits, true)
}

// EvalPlan is EvalNodes without the systems: the plan of the named nodes (with the
// network level), checked as EvalNodes checks it, nothing instantiated. With no names
// one worker evaluates and checks the network level alone.
func (e *Evaluator) EvalPlan(ctx context.Context, names []string, limits WorkerLimits) (*Network, *WorkerStats, error) {
	n, _, stats, err := e.evalInWorkers(ctx, names, limits, false)
	return n, stats, err
}

// ConnectionPlan evaluates the deployment's connectionPlan: the network level (with
// its checks) and every node's connection settings, no host evaluated; the nodes have
// no configuration. It is what the commands that only reach hosts need.
func (e *Evaluator) ConnectionPlan(ctx context.Context) (*Network, error) {
	out, err := e.evalJSON(ctx, e.File, "connectionPlan")
	if err != nil {
		return nil, err
	}
	return DecodePlan(out)
}

// batchSize is how many of the remaining nodes the next worker takes: the fixed batch
// if one is given, else the even share, made smaller so that a worker's estimate (the
// network level's memory, then perNode for each node) fits its part of the budget
// (budget/workers; budget < 0: none), at least one node.
func batchSize(remaining, share, fixed, workers int, budget, network, perNode int64) int {
	b := share
	if fixed > 0 {
		b = fixed
	} else if budget >= 0 && perNode > 0 {
		fit := (budget/int64(workers) - network) / perNode
		if fit < int64(b) {
			b = int(max(fit, 1))
		}
	}
	return max(min(b, remaining), 1)
}

// Batches hold at most minBatchCap nodes until workers have been measured, and at
// least that many after (unless memory is short, see batchSize).
const minBatchCap = 10

// batchCap is the most nodes a worker takes when no batch is fixed, from what has been
// measured: the network level's CPU and memory as the index measured them (which grow
// with the fleet: the most a worker spends on it, since one worker checks it whole and
// the others evaluate the parts their nodes read) and a node's. A large fleet of light
// nodes would spend most of its time on the network level in batches of ten (1,000
// standalone nodes: 100 workers each evaluating 1,000 nodes' network options), so the
// batch grows until the network level is at most a quarter of the batch's CPU, but only
// while the batch's nodes hold no more memory than the network level itself: a worker
// holds at most about twice what any worker must. At NixOS weight a node costs far more
// than the network level and the cap stays at ten.
func batchCap(network NetworkCost, nodeCPU time.Duration, nodeMemory int64) int {
	if network.CPU <= 0 || nodeCPU <= 0 {
		return minBatchCap
	}
	byCPU := int64(4*network.CPU/nodeCPU) + 1
	byMemory := int64(minBatchCap)
	if nodeMemory > 0 {
		byMemory = network.Memory / nodeMemory
	}
	return int(max(min(byCPU, byMemory, 1<<20), minBatchCap))
}

// nixProcessMemory is about what a nix-instantiate holds before it evaluates anything
// (25 MB here for `--eval -E 1`): the least of a worker's fixed part.
const nixProcessMemory = 24 << 20

// nodeMemory is what one node of a finished worker's batch cost in memory: the worker's
// peak RSS less its fixed part, shared among its nodes, at least 1 MiB. The fixed part
// is the network level's memory (as the index measured it) for the worker that
// evaluated it; for the others, which evaluate only the parts of it their nodes read,
// only the Nix process's own (nixProcessMemory), so that a node is never taken for
// lighter than it is. What remains of their fixed part is counted as their nodes', a
// larger share of a smaller batch: where it is large (nodes that share one package
// set), counting it all made each smaller batch's estimate larger still, down to one
// node per process.
func nodeMemory(rssKB int64, nodes int, fixed int64) int64 {
	return max((rssKB<<10-fixed)/int64(max(nodes, 1)), 1<<20)
}

type workerResult struct {
	Plan     json.RawMessage   `json:"plan"`
	DrvPaths map[string]string `json:"drvPaths"`
	// OutPaths: each system's output (a nix-modules older than this prints none).
	OutPaths map[string]string `json:"outPaths"`
}

func (e *Evaluator) evalInWorkers(ctx context.Context, names []string, limits WorkerLimits, systems bool) (*Network, map[string]string, *WorkerStats, error) {
	workers := limits.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	budget := limits.Memory
	if budget == 0 {
		budget = DefaultMemoryBudget()
	}
	perNode := limits.PerNode
	if perNode <= 0 {
		perNode = StandaloneNodeMemory
	}
	// A worker's memory: the network level's, then perNode for each node (the largest
	// seen per node once measured: nodeMemory). Its CPU per node is learnt too, for
	// batchCap: beyond the network level's for the worker that evaluated it, with the
	// process's own share for the others.
	netCost := limits.Network
	var nodeCPU time.Duration
	var measuredNodes int
	var measuredCPU time.Duration
	// Light nodes few enough not to pay for a second process's start share fewer
	// workers. Their batches keep the cap below until a worker has been measured: the
	// estimate per node is only the kind's, and a heavy standalone node mistaken for a
	// light one then costs at most a batch of ten in one process.
	useful := workers
	if limits.Batch <= 0 {
		perNodeCPU := limits.PerNodeCPU
		if perNodeCPU <= 0 {
			perNodeCPU = StandaloneNodeCPU
		}
		useful = usefulWorkers(len(names), perNodeCPU, netCost.CPU, workers)
	}
	evenShare := (len(names) + useful - 1) / useful
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)

	stats := &WorkerStats{Budget: budget, Evaluated: map[string]int{}}
	// Warnings are shown once, whichever workers print them.
	stderr := &onceLines{w: e.Stderr}
	start := time.Now()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The first worker also evaluates and checks the network level (its plan's network
	// part is the run's); the others evaluate only their nodes, so the network level,
	// which grows with the fleet, is evaluated once per run. A network-level problem can
	// make a node's evaluation fail far from its cause, so a node worker's failure is
	// reported only once the network level is known to pass; a failing network level is
	// the one error.
	type done struct {
		network  bool // this worker evaluated the network level
		probe    bool // the network level alone, after its worker failed (KeepGoing)
		batch    []string
		estimate int64
		result   workerResult
		rssKB    int64
		cpu      time.Duration
		err      error
	}
	finished := make(chan done)
	run := func(batch []string, estimate int64, network, probe bool) {
		d := done{batch: batch, estimate: estimate, network: network, probe: probe}
		argv := []string{"nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode"}
		if e.ShowTrace {
			argv = append(argv, "--show-trace")
		}
		expr := forNodesExpr(e.File, batch, network)
		if !systems {
			expr = planForNodesExpr(e.File, batch, network)
		}
		argv = append(argv, "-E", expr, "-A", "result")
		argv = append(argv, e.NixArgs...)
		var usage *syscall.Rusage
		out, err := command.Output(wctx, command.Cmd{
			Argv:   argv,
			Env:    e.Env,
			Stderr: &nixStderr{W: stderr, Prefix: "nix: ", OnWarning: e.noteWarning},
			Usage:  func(u *syscall.Rusage) { usage = u },
		})
		if usage != nil {
			d.rssKB = usage.Maxrss
			d.cpu = time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
		}
		if err != nil {
			err = e.evalError(wctx, err)
			if ee, ok := err.(*EvalError); ok {
				e.explain(wctx, argv, ee)
			}
			d.err = err
		} else if err := json.Unmarshal(out, &d.result); err != nil {
			d.err = fmt.Errorf("worker for %s: %w", strings.Join(batch, ", "), err)
		}
		finished <- d
	}

	// The network level's state.
	const (
		netRunning = iota // its worker runs (or has not started)
		netPassed         // its worker, or the probe, passed: netResult has it
		netProbing        // its worker failed (KeepGoing): the probe tells whether it was the network level
	)
	netState, netStarted := netRunning, false
	var netResult *workerResult

	// The scheduler: start workers while there are nodes, a free slot and room in the
	// budget (one always runs), then take one finished worker and learn from it.
	var results []workerResult
	var firstErr error
	// heldErr: a node worker's failure while the network level was unknown (nothing
	// more starts; it is the error if the network level passes).
	var heldErr error
	next, running := 0, 0
	var reserved int64
	measured := false
	// KeepGoing: the failures so far (distinct), and the nodes to evaluate one by one
	// (once the network level has passed).
	var failures []error
	seenFailure := map[string]bool{}
	var singles []string
	start1 := func(batch []string, estimate int64, network, isProbe bool) {
		running++
		reserved += estimate
		stats.Workers++
		stats.MaxRunning = max(stats.MaxRunning, running)
		go run(batch, estimate, network, isProbe)
	}
	for {
		for firstErr == nil && heldErr == nil && netState != netProbing && running < workers {
			if len(singles) > 0 && netState == netPassed {
				if running > 0 && budget >= 0 && reserved+netCost.Memory+perNode > budget {
					break
				}
				batch := singles[:1]
				singles = singles[1:]
				start1(batch, netCost.Memory+perNode, false, false)
				continue
			}
			if netStarted && next >= len(sorted) {
				break
			}
			b := 0
			if next < len(sorted) {
				share := min(evenShare, batchCap(netCost, nodeCPU, perNode))
				b = batchSize(len(sorted)-next, share, limits.Batch, workers, budget, netCost.Memory, perNode)
			}
			estimate := netCost.Memory + int64(max(b, 1))*perNode
			if running > 0 && budget >= 0 && reserved+estimate > budget {
				break
			}
			batch := sorted[next : next+b]
			next += b
			start1(batch, estimate, !netStarted, false)
			netStarted = true
		}
		if running == 0 {
			break
		}
		d := <-finished
		running--
		reserved -= d.estimate
		stats.CPU += d.cpu
		stats.PeakRSSKB = max(stats.PeakRSSKB, d.rssKB)
		if d.rssKB > 0 && len(d.batch) > 0 && d.err == nil {
			// What one node cost at most, and its CPU on average (at least 1 MiB and
			// 1 ms): the estimates from now on.
			cpu, fixed := d.cpu, int64(nixProcessMemory)
			if d.network {
				cpu, fixed = max(cpu-netCost.CPU, 0), netCost.Memory
			}
			seen := nodeMemory(d.rssKB, len(d.batch), fixed)
			if !measured || seen > perNode {
				perNode = seen
			}
			measured = true
			measuredNodes += len(d.batch)
			measuredCPU += cpu
			nodeCPU = max(measuredCPU/time.Duration(measuredNodes), time.Millisecond)
		}
		switch {
		case d.err != nil && ctx.Err() != nil:
			// Interrupted.
			if firstErr == nil {
				firstErr = d.err
				cancel()
			}
		case d.err != nil && firstErr != nil:
			// After the end was decided.
		case d.probe && d.err != nil:
			// The network level fails: the one error.
			firstErr = d.err
			cancel()
		case d.probe:
			netState, netResult = netPassed, &d.result
		case d.err != nil && d.network && (!limits.KeepGoing || len(d.batch) == 0):
			// It checked the network level before its nodes: its error is the one.
			firstErr = d.err
			cancel()
		case d.err != nil && d.network:
			// The network level or one of its nodes: the probe tells, its nodes are
			// evaluated one by one if the network level passes.
			singles = append(singles, d.batch...)
			netState = netProbing
			start1(nil, max(netCost.Memory, perNode), true, true)
		case d.err != nil && !limits.KeepGoing:
			if netState == netPassed {
				firstErr = d.err
				cancel()
			} else if heldErr == nil {
				heldErr = d.err
			}
		case d.err != nil:
			if len(d.batch) > 1 {
				// Which of them failed is found one by one (once the network level
				// has passed).
				singles = append(singles, d.batch...)
			} else if key := failureKey(d.err); !seenFailure[key] {
				seenFailure[key] = true
				failures = append(failures, d.err)
			}
		default:
			if d.network {
				netState, netResult = netPassed, &d.result
			}
			results = append(results, d.result)
			for _, n := range d.batch {
				stats.Evaluated[n]++
			}
		}
		if heldErr != nil && firstErr == nil && netState == netPassed {
			firstErr = heldErr
			cancel()
		}
	}
	stats.Wall = time.Since(start)
	if firstErr != nil {
		return nil, nil, stats, firstErr
	}
	if len(failures) > 0 {
		return nil, nil, stats, joinFailures(failures)
	}

	// One plan: the network level of the worker that evaluated it, the nodes of all.
	var plan map[string]json.RawMessage
	if netResult != nil {
		if err := json.Unmarshal(netResult.Plan, &plan); err != nil {
			return nil, nil, stats, fmt.Errorf("worker plan: %w", err)
		}
	}
	nodes := map[string]json.RawMessage{}
	drvs := map[string]string{}
	for _, r := range results {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(r.Plan, &p); err != nil {
			return nil, nil, stats, fmt.Errorf("worker plan: %w", err)
		}
		var ns map[string]json.RawMessage
		if err := json.Unmarshal(p["nodes"], &ns); err != nil {
			return nil, nil, stats, fmt.Errorf("worker plan nodes: %w", err)
		}
		for n, v := range ns {
			nodes[n] = v
		}
		for n, d := range r.DrvPaths {
			drvs[n] = d
			if out := r.OutPaths[n]; out != "" {
				e.rememberOutput(d, out)
			}
		}
	}
	for _, n := range names {
		if _, ok := drvs[n]; !ok && systems {
			return nil, nil, stats, fmt.Errorf("no worker evaluated node %s", n)
		}
		if _, ok := nodes[n]; !ok {
			return nil, nil, stats, fmt.Errorf("no worker evaluated node %s", n)
		}
	}
	if plan == nil {
		plan = map[string]json.RawMessage{"version": json.RawMessage(strconv.Itoa(PlanVersion))}
	}
	plan["nodes"], _ = json.Marshal(nodes)
	whole, err := json.Marshal(plan)
	if err != nil {
		return nil, nil, stats, err
	}
	network, err := DecodePlan(whole)
	if err != nil {
		return nil, nil, stats, err
	}
	return network, drvs, stats, nil
}

// failureKey tells errors apart: the same diagnostics (or, without any, the same
// output of Nix) are the same failure. It begins with the first diagnostic's option
// path, the order failures are reported in.
func failureKey(err error) string {
	var ee *EvalError
	if !errors.As(err, &ee) {
		return err.Error()
	}
	if len(ee.Diagnostics) == 0 {
		if ee.Proc != nil {
			return ee.Proc.Stderr
		}
		return ee.Error()
	}
	if isRecursion(ee) {
		// One loop seen from two of its nodes (two workers) is listed in two orders:
		// the same failure when the same definitions form it.
		var loop []string
		for _, l := range strings.Split(ee.Diagnostics[0].Message, "\n") {
			if strings.HasPrefix(l, "- `") {
				loop = append(loop, l)
			}
		}
		if len(loop) > 0 {
			sort.Strings(loop)
			return "\x01recursion\x00" + strings.Join(loop, "\x00")
		}
	}
	var b strings.Builder
	for _, d := range ee.Diagnostics {
		fmt.Fprintf(&b, "%s\x00%s\x00%s\x00", d.OptionPath, d.Message, d.Location())
	}
	return b.String()
}

// joinFailures makes the failures of several workers one error: one EvalError with
// all their diagnostics (and Nix's output of each, for --show-trace) when they all
// are evaluation errors, else errors.Join.
func joinFailures(failures []error) error {
	if len(failures) == 1 {
		return failures[0]
	}
	// In a fixed order (the workers finish in any): by what each is about.
	sort.SliceStable(failures, func(i, j int) bool { return failureKey(failures[i]) < failureKey(failures[j]) })
	merged := &EvalError{Proc: &command.ProcessError{}}
	var stderr []string
	for _, f := range failures {
		var ee *EvalError
		if !errors.As(f, &ee) {
			return errors.Join(failures...)
		}
		merged.Diagnostics = append(merged.Diagnostics, ee.Diagnostics...)
		if ee.Proc != nil {
			if merged.Proc.Argv == nil {
				*merged.Proc = *ee.Proc
			}
			stderr = append(stderr, strings.TrimRight(ee.Proc.Stderr, "\n"))
		}
	}
	merged.Proc.Stderr = strings.Join(stderr, "\n") + "\n"
	return merged
}

// forNodesExpr is the worker's expression (its attribute `result`): the deployment file
// called with the Nix arguments it declares (as nix-instantiate calls a file), then its
// forNodes. Without network, forNodesWith { network = false; }: the nodes alone, the
// network level's checks and plan left to another worker (a nix-modules older than
// forNodesWith evaluates them anyway).
func forNodesExpr(file string, names []string, network bool) string {
	return deploymentExpr(file, forNodesCall(network)+" "+nixList(names))
}

// planForNodesExpr is forNodesExpr without the systems: forNodes' plan alone (lazily,
// so nothing is instantiated).
func planForNodesExpr(file string, names []string, network bool) string {
	return deploymentExpr(file, "{ plan = ("+forNodesCall(network)+" "+nixList(names)+").plan; }")
}

func forNodesCall(network bool) string {
	if network {
		return "d.forNodes"
	}
	return "(if d ? forNodesWith then d.forNodesWith { network = false; } else d.forNodes)"
}

// deploymentExpr is an expression whose attribute `result` is body, in which `d` is the
// deployment file called with the Nix arguments it declares, as nix-instantiate calls a
// file. (A function at the top, whose attribute is selected with -A: nix-instantiate
// calls it with the --arg values even when there are none.)
func deploymentExpr(file, body string) string {
	f, _ := json.Marshal(file)
	return `{ ... }@args: let f = import (/. + ` + string(f) + `); ` +
		`d = if builtins.isFunction f then f (builtins.intersectAttrs (builtins.functionArgs f) args) else f; ` +
		`in { result = ` + body + `; }`
}

// nixList is a Nix list of strings.
func nixList(items []string) string {
	quoted := make([]string, len(items))
	for i, n := range items {
		b, _ := json.Marshal(n)
		quoted[i] = string(b)
	}
	return "[ " + strings.Join(quoted, " ") + " ]"
}

// onceLines forwards whole lines to w, each distinct line once.
type onceLines struct {
	mu   sync.Mutex
	w    io.Writer
	seen map[string]bool
	buf  bytes.Buffer
}

func (o *onceLines) Write(b []byte) (int, error) {
	if o.w == nil {
		return len(b), nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(b)
	for {
		line, err := o.buf.ReadString('\n')
		if err != nil {
			o.buf.WriteString(line)
			break
		}
		if o.seen == nil {
			o.seen = map[string]bool{}
		}
		if !o.seen[line] {
			o.seen[line] = true
			io.WriteString(o.w, line)
		}
	}
	return len(b), nil
}

func defaultWorkers() int { return runtime.NumCPU() }
