package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nixmesh/nixmesh/internal/command"
)

// Index evaluates the deployment's nodeIndex: every node's name, enable and tags, no
// host evaluated. The Network it returns has only those fields (and no network level);
// it is what nodes are selected by before EvalNodes evaluates them.
func (e *Evaluator) Index(ctx context.Context) (*Network, error) {
	out, err := e.evalJSON(ctx, e.File, "nodeIndex")
	if err != nil {
		return nil, err
	}
	var idx map[string]struct {
		Enable bool     `json:"enable"`
		Tags   []string `json:"tags"`
	}
	if err := json.Unmarshal(out, &idx); err != nil {
		return nil, fmt.Errorf("nodeIndex: %w", err)
	}
	n := &Network{Version: PlanVersion, Nodes: map[string]*Node{}, Network: map[string]json.RawMessage{}}
	for name, x := range idx {
		n.Nodes[name] = &Node{Name: name, Enable: x.Enable, Tags: x.Tags}
	}
	return n, nil
}

// WorkerStats is what the worker processes of one EvalNodes cost: wall time, their CPU
// time together, the largest peak RSS of any one of them, and how often each node was
// evaluated (always once; benchmarks and tests check it).
type WorkerStats struct {
	Workers   int
	Wall      time.Duration
	CPU       time.Duration
	PeakRSSKB int64
	Evaluated map[string]int
}

// EvalNodes evaluates the named nodes in worker processes: each worker is one
// nix-instantiate of nix-modules' forNodes for a batch of at most `batch` nodes (the
// network level once, then those nodes' plans, checks and instantiated systems), at most
// `workers` at a time; a worker ends with its batch, so no process holds more than
// `batch` hosts whatever the fleet's size. It returns the plan of those nodes (with the
// network level), their .drv paths, and the workers' cost. workers or batch <= 0 mean
// one worker per batch of ceil(len/ncpu) nodes, at most 10.
func (e *Evaluator) EvalNodes(ctx context.Context, names []string, workers, batch int) (*Network, map[string]string, *WorkerStats, error) {
	return e.evalInWorkers(ctx, names, workers, batch, true)
}

// EvalPlan is EvalNodes without the systems: the plan of the named nodes (with the
// network level), checked as EvalNodes checks it, nothing instantiated. With no names
// one worker evaluates and checks the network level alone.
func (e *Evaluator) EvalPlan(ctx context.Context, names []string, workers, batch int) (*Network, *WorkerStats, error) {
	n, _, stats, err := e.evalInWorkers(ctx, names, workers, batch, false)
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

func (e *Evaluator) evalInWorkers(ctx context.Context, names []string, workers, batch int, systems bool) (*Network, map[string]string, *WorkerStats, error) {
	if workers <= 0 {
		workers = defaultWorkers()
	}
	if batch <= 0 {
		batch = (len(names) + workers - 1) / workers
		if batch > 10 {
			batch = 10
		}
		if batch < 1 {
			batch = 1
		}
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var batches [][]string
	for i := 0; i < len(sorted); i += batch {
		end := i + batch
		if end > len(sorted) {
			end = len(sorted)
		}
		batches = append(batches, sorted[i:end])
	}
	if len(batches) == 0 {
		// The network level alone: still evaluated, and checked.
		batches = [][]string{{}}
	}
	type result struct {
		Plan     json.RawMessage   `json:"plan"`
		DrvPaths map[string]string `json:"drvPaths"`
	}
	results := make([]result, len(batches))
	stats := &WorkerStats{Workers: len(batches), Evaluated: map[string]int{}}
	var mu sync.Mutex
	// Every worker prints the network level's warnings; they are shown once.
	stderr := &onceLines{w: e.Stderr}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, b := range batches {
		i, b := i, b
		g.Go(func() error {
			argv := []string{"nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode"}
			if e.ShowTrace {
				argv = append(argv, "--show-trace")
			}
			expr := forNodesExpr(e.File, b)
			if !systems {
				expr = planForNodesExpr(e.File, b)
			}
			argv = append(argv, "-E", expr, "-A", "result")
			argv = append(argv, e.NixArgs...)
			var usage *syscall.Rusage
			out, err := command.Output(gctx, command.Cmd{
				Argv:   argv,
				Env:    e.Env,
				Stderr: &nixStderr{W: stderr, Prefix: "nix: "},
				Usage:  func(u *syscall.Rusage) { usage = u },
			})
			if usage != nil {
				mu.Lock()
				stats.CPU += time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
				if usage.Maxrss > stats.PeakRSSKB {
					stats.PeakRSSKB = usage.Maxrss
				}
				mu.Unlock()
			}
			if err != nil {
				err = e.evalError(gctx, err)
				if ee, ok := err.(*EvalError); ok && isRecursion(ee) {
					e.explainRecursion(gctx, argv, ee)
				}
				return err
			}
			if err := json.Unmarshal(out, &results[i]); err != nil {
				return fmt.Errorf("worker for %s: %w", strings.Join(b, ", "), err)
			}
			mu.Lock()
			for _, n := range b {
				stats.Evaluated[n]++
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, stats, err
	}
	stats.Wall = time.Since(start)

	// One plan: the network level of the first worker (every worker computes the same),
	// the nodes of all.
	var plan map[string]json.RawMessage
	nodes := map[string]json.RawMessage{}
	drvs := map[string]string{}
	for i, r := range results {
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
		}
		if i == 0 {
			plan = p
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

// forNodesExpr is the worker's expression (its attribute `result`): the deployment file
// called with the Nix arguments it declares (as nix-instantiate calls a file), then its
// forNodes.
func forNodesExpr(file string, names []string) string {
	return deploymentExpr(file, "d.forNodes "+nixList(names))
}

// planForNodesExpr is forNodesExpr without the systems: forNodes' plan alone (lazily,
// so nothing is instantiated).
func planForNodesExpr(file string, names []string) string {
	return deploymentExpr(file, "{ plan = (d.forNodes "+nixList(names)+").plan; }")
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
