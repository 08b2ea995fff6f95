package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/natural"
)

// Evaluator runs Nix on one deployment file.
type Evaluator struct {
	// File is the deployment, e.g. ./deploy.nix.
	File string
	// NixArgs are passed to every nix-instantiate call after nixmesh's own arguments
	// (e.g. --arg foo 1, --option ...). nix-store --realise does not get them.
	NixArgs []string
	// ShowTrace adds --show-trace, so diagnostics carry Nix's whole trace.
	ShowTrace bool
	// Stderr receives Nix's informational stderr (warnings, trace: output) with a "nix: "
	// prefix, and build logs with a "[host] " prefix when Build has no Progress. Nil
	// discards them; the stderr of a failure is always kept in the returned error.
	Stderr io.Writer
	// Env is the environment of Nix's processes; nil inherits nixmesh's.
	Env []string
	// RealiseArgs are added to every `nix-store --realise` (remote builders, max-jobs:
	// `--option builders "ssh://root@b x86_64-linux"`, `--max-jobs 0`).
	RealiseArgs []string

	// outputs: the output path of each .drv a worker instantiated (drv → out), so that
	// Build and Outputs need not ask the store for them.
	outputsMu sync.Mutex
	outputs   map[string]string

	// warnings: the deployment's own warnings its evaluations showed, each once.
	warningsMu sync.Mutex
	warnings   []string
}

// noteWarning records a deployment warning an evaluation showed.
func (e *Evaluator) noteWarning(w string) {
	e.warningsMu.Lock()
	defer e.warningsMu.Unlock()
	if !slices.Contains(e.warnings, w) {
		e.warnings = append(e.warnings, w)
	}
}

// Warnings returns the deployment's own warnings (its modules' `warnings', its hosts')
// that the evaluations so far showed, in order, each once: for --strict.
func (e *Evaluator) Warnings() []string {
	e.warningsMu.Lock()
	defer e.warningsMu.Unlock()
	return slices.Clone(e.warnings)
}

func (e *Evaluator) rememberOutput(drv, out string) {
	e.outputsMu.Lock()
	defer e.outputsMu.Unlock()
	if e.outputs == nil {
		e.outputs = map[string]string{}
	}
	e.outputs[drv] = out
}

// knownOutputs returns the remembered outputs of the named nodes' derivations, in
// names' order, and whether all of them are known.
func (e *Evaluator) knownOutputs(names []string, drvs map[string]string) ([]string, bool) {
	e.outputsMu.Lock()
	defer e.outputsMu.Unlock()
	outs := make([]string, len(names))
	for i, n := range names {
		out, ok := e.outputs[drvs[n]]
		if !ok {
			return nil, false
		}
		outs[i] = out
	}
	return outs, true
}

// Plan evaluates the deployment's `plan` in one nix-instantiate and decodes it.
// A Nix failure is an *EvalError; a plan of another version a *PlanVersionError.
func (e *Evaluator) Plan(ctx context.Context) (*Network, error) {
	out, err := e.evalJSON(ctx, e.File, "plan")
	if err != nil {
		return nil, err
	}
	return DecodePlan(out)
}

// OptionsList evaluates the deployment's `optionsList` (docs/internals.md, "Options
// listing") and returns its JSON.
func (e *Evaluator) OptionsList(ctx context.Context) ([]byte, error) {
	return e.evalJSON(ctx, e.File, "optionsList")
}

func (e *Evaluator) evalJSON(ctx context.Context, file, attr string) ([]byte, error) {
	return e.evalJSONUsage(ctx, file, attr, nil)
}

// evalJSONUsage is evalJSON that also hands the process's resource usage to usage.
func (e *Evaluator) evalJSONUsage(ctx context.Context, file, attr string, usage func(*syscall.Rusage)) ([]byte, error) {
	argv := []string{"nix-instantiate", "--eval", "--strict", "--json"}
	if e.ShowTrace {
		argv = append(argv, "--show-trace")
	}
	argv = append(argv, file, "-A", attr)
	argv = append(argv, e.NixArgs...)
	return e.runEvalUsage(ctx, argv, usage)
}

// runEval runs an evaluating nix-instantiate and turns its failure into an *EvalError.
func (e *Evaluator) runEval(ctx context.Context, argv []string) ([]byte, error) {
	return e.runEvalUsage(ctx, argv, nil)
}

func (e *Evaluator) runEvalUsage(ctx context.Context, argv []string, usage func(*syscall.Rusage)) ([]byte, error) {
	out, err := command.Output(ctx, command.Cmd{
		Argv:   argv,
		Env:    e.Env,
		Stderr: &nixStderr{W: e.Stderr, Prefix: "nix: ", OnWarning: e.noteWarning},
		Usage:  usage,
	})
	if err != nil {
		err = e.evalError(ctx, err)
		if ee, ok := err.(*EvalError); ok {
			e.explain(ctx, argv, ee)
		}
		return nil, err
	}
	return out, nil
}

func (e *Evaluator) evalError(ctx context.Context, err error) error {
	var pe *command.ProcessError
	if ctx.Err() != nil || !errors.As(err, &pe) {
		return err
	}
	if pe.ExitCode < 0 { // nix did not start, or was killed
		return err
	}
	ds := ParseDiagnostics(pe.Stderr)
	for i := range ds {
		notDeployment(&ds[i], e.File)
	}
	return &EvalError{Diagnostics: ds, Proc: pe}
}

// A file that is no deployment (a module written as deploy.nix, without the import of
// nix-modules around it) lacks the attributes nixmesh reads: said as such, at the file,
// instead of Nix's "attribute 'nodeIndex' ... not found".
var missingAttr = regexp.MustCompile(`^attribute '(nodeIndex|plan|connectionPlan|systems|nodes|optionsList|forNodes|forNodesWith)' (?:in selection path '[^']*' not found|missing)`)

func notDeployment(d *Diagnostic, file string) {
	m := missingAttr.FindStringSubmatch(d.Message)
	if m == nil || file == "" {
		return
	}
	d.Message = fmt.Sprintf("%s is not a nixmesh deployment: it has no `%s'. A deployment file imports nixmesh's nix-modules and gives it the deployment's module:\n"+
		"  import ./nixmesh/nix-modules { } { nodes.web.host = \"root@198.18.0.12\"; ... }\n"+
		"(a module of its own, as this may be, goes into that one's imports)", file, m[1])
	if !strings.HasPrefix(d.File, "/") { // none, or Nix's «string» of a generated expression
		d.File, d.Line, d.Col = file, 0, 0
	}
}

// Instantiate instantiates the system of every named node in ONE nix-instantiate call
// and returns each node's .drv path. (One evaluation for all: with one `-A systems.NAME`
// per node, nix-instantiate would call a deployment that is a function once per node.)
func (e *Evaluator) Instantiate(ctx context.Context, names []string) (map[string]string, error) {
	if len(names) == 0 {
		return map[string]string{}, nil
	}
	argv := []string{"nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode"}
	if e.ShowTrace {
		argv = append(argv, "--show-trace")
	}
	argv = append(argv, "-E", deploymentExpr(e.File, "map (n: d.systems.${n}.drvPath) "+nixList(names)), "-A", "result")
	argv = append(argv, e.NixArgs...)
	out, err := e.runEval(ctx, argv)
	if err != nil {
		return nil, err
	}
	var paths []string
	if err := json.Unmarshal(out, &paths); err != nil || len(paths) != len(names) {
		return nil, fmt.Errorf("nix-instantiate gave %s for %d nodes, not one .drv path each", strings.TrimSpace(string(out)), len(names))
	}
	drvs := make(map[string]string, len(names))
	for i, n := range names {
		if !strings.HasPrefix(paths[i], "/") || !strings.HasSuffix(paths[i], ".drv") {
			return nil, fmt.Errorf("node %s: %q is not a .drv path", n, paths[i])
		}
		drvs[n] = paths[i]
	}
	return drvs, nil
}

var plainAttr = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*$`)

// AttrName quotes a node name for use in a Nix attribute path (-A), when it needs it.
func AttrName(name string) string {
	if plainAttr.MatchString(name) {
		return name
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
}

// Progress is told about the per-node work of Build. internal/progress.Display
// implements it; all methods must be safe for concurrent use.
type Progress interface {
	// Status sets a node's current step ("building").
	Status(host, status string)
	// Writer receives the node's log (Nix's stderr), line by line.
	Writer(host string) io.Writer
	// Done marks the node finished, successfully when err is nil.
	Done(host string, err error)
}

// HostError is the failure of one host in one phase; Build and the deploy engine join
// them with errors.Join, so errors.As/Is reach each cause.
type HostError struct {
	Host  string
	Phase string // "build", "copy", "activate", ...
	Err   error
}

func (e *HostError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Host, e.Phase, e.Err) }
func (e *HostError) Unwrap() error { return e.Err }

// BuildError is a node's system that failed to build.
type BuildError struct {
	Drv         string
	Diagnostics []Diagnostic // Nix's "error:" reports, e.g. "builder for '...' failed with exit code 1"
	Proc        *command.ProcessError
}

func (e *BuildError) Error() string {
	if len(e.Diagnostics) > 0 {
		return e.Diagnostics[0].Summary()
	}
	return fmt.Sprintf("building %s: %v", e.Drv, e.Proc)
}

func (e *BuildError) Unwrap() error {
	if e.Proc == nil {
		return nil
	}
	return e.Proc
}

// Build realises the given derivations (node → .drv) with `nix-store --realise`, at most
// parallel at a time (runtime.NumCPU() when parallel < 1), and returns node → output path.
// ctx is checked before each node starts; a node not started because ctx ended fails with
// ctx's error. Each failure is a *HostError (phase "build") wrapping a *BuildError, all
// joined with errors.Join; the paths of the nodes that built are returned alongside.
// Nix's stderr goes to p, or to e.Stderr with a "[node] " prefix when p is nil.
func (e *Evaluator) Build(ctx context.Context, drvs map[string]string, parallel int, p Progress) (map[string]string, error) {
	if parallel < 1 {
		parallel = runtime.NumCPU()
	}
	if p == nil {
		p = &plainProgress{w: e.Stderr}
	}
	names := make([]string, 0, len(drvs))
	for n := range drvs {
		names = append(names, n)
	}
	natural.Sort(names)

	var (
		mu    sync.Mutex
		paths = map[string]string{}
		errs  []error
	)
	fail := func(host string, err error) {
		mu.Lock()
		errs = append(errs, &HostError{Host: host, Phase: "build", Err: err})
		mu.Unlock()
	}
	// Systems built already (a no-op redeploy, a second build) need no nix-store process
	// each: two queries for all of them say which outputs are valid.
	built := e.alreadyBuilt(ctx, names, drvs)
	g := new(errgroup.Group)
	g.SetLimit(parallel)
	for _, name := range names {
		if out, ok := built[name]; ok {
			paths[name] = out
			p.Status(name, "already built")
			p.Done(name, nil)
			continue
		}
		if err := ctx.Err(); err != nil {
			fail(name, err)
			p.Done(name, err)
			continue
		}
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				fail(name, err)
				p.Done(name, err)
				return nil
			}
			p.Status(name, "building")
			out, err := e.realise(ctx, drvs[name], p.Writer(name))
			if err != nil {
				fail(name, err)
				p.Done(name, err)
				return nil
			}
			mu.Lock()
			paths[name] = out
			mu.Unlock()
			p.Done(name, nil)
			return nil
		})
	}
	_ = g.Wait() // every failure is collected in errs
	sort.Slice(errs, func(i, j int) bool {
		return errs[i].(*HostError).Host < errs[j].(*HostError).Host
	})
	return paths, errors.Join(errs...)
}

// alreadyBuilt returns node → output path for the derivations whose (single) output is
// already a valid store path: their outputs as the workers printed them (else one query
// for all), then one query for which of those are invalid. Any surprise (a derivation
// with several outputs, a failed query) returns what is known so far, and those nodes
// are realised as usual.
func (e *Evaluator) alreadyBuilt(ctx context.Context, names []string, drvs map[string]string) map[string]string {
	built := map[string]string{}
	if len(names) == 0 {
		return built
	}
	outs, ok := e.knownOutputs(names, drvs)
	if !ok {
		argv := []string{"nix-store", "-q", "--outputs"}
		for _, n := range names {
			argv = append(argv, drvs[n])
		}
		out, err := command.Output(ctx, command.Cmd{Argv: argv, Env: e.Env})
		outs = command.Lines(string(out))
		if err != nil || len(outs) != len(names) {
			return built
		}
	}
	argv := append([]string{"nix-store", "--check-validity", "--print-invalid"}, outs...)
	out, err := command.Output(ctx, command.Cmd{Argv: argv, Env: e.Env})
	if err != nil {
		return built
	}
	invalid := map[string]bool{}
	for _, l := range command.Lines(string(out)) {
		invalid[l] = true
	}
	for i, n := range names {
		if !invalid[outs[i]] {
			built[n] = outs[i]
		}
	}
	return built
}

func (e *Evaluator) realise(ctx context.Context, drv string, log io.Writer) (string, error) {
	lw := &filterNoise{W: log}
	out, err := command.Output(ctx, command.Cmd{
		Argv:   append(append([]string{"nix-store", "--realise"}, e.RealiseArgs...), drv),
		Env:    e.Env,
		Stderr: lw,
	})
	lw.Flush()
	if err != nil {
		var pe *command.ProcessError
		if ctx.Err() != nil || !errors.As(err, &pe) {
			return "", err
		}
		return "", &BuildError{Drv: drv, Diagnostics: ParseDiagnostics(pe.Stderr), Proc: pe}
	}
	lines := command.Lines(string(out))
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "/") {
		return "", fmt.Errorf("nix-store --realise %s printed no output path", drv)
	}
	return lines[0], nil
}

// filterNoise passes whole lines on to W, dropping Nix's --add-root reminder.
type filterNoise struct {
	W   io.Writer
	mu  sync.Mutex
	buf []byte
}

func (f *filterNoise) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, b...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := f.buf[:i+1]
		f.buf = f.buf[i+1:]
		if !noise(strings.TrimSuffix(string(line), "\n")) {
			if _, err := f.W.Write(line); err != nil {
				return len(b), err
			}
		}
	}
}

// Flush writes a last line that had no newline.
func (f *filterNoise) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.buf) > 0 {
		f.W.Write(append(f.buf, '\n'))
		f.buf = nil
	}
}

// plainProgress is Build's Progress when none is given: "[host] line" on w.
type plainProgress struct{ w io.Writer }

func (p *plainProgress) Status(string, string) {}
func (p *plainProgress) Done(string, error)    {}
func (p *plainProgress) Writer(host string) io.Writer {
	if p.w == nil {
		return io.Discard
	}
	return &command.PrefixWriter{W: p.w, Prefix: "[" + host + "] "}
}

// Outputs returns each derivation's default output path without building it (as the
// workers printed it, else `nix-store -q --outputs`), by node.
func (e *Evaluator) Outputs(ctx context.Context, drvs map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(drvs))
	for node, drv := range drvs {
		if o, ok := e.knownOutputs([]string{node}, drvs); ok {
			out[node] = o[0]
			continue
		}
		o, err := command.Output(ctx, command.Cmd{Argv: []string{"nix-store", "-q", "--outputs", drv}, Env: e.Env})
		if err != nil {
			return nil, fmt.Errorf("the output of %s: %w", drv, err)
		}
		lines := command.Lines(string(o))
		if len(lines) == 0 {
			return nil, fmt.Errorf("%s has no output", drv)
		}
		out[node] = lines[0]
	}
	return out, nil
}
