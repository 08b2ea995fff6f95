package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
	"github.com/nixmesh/nixmesh/lab/labtest"
)

// benchSizes are the fleet sizes the deploy benchmark measures.
var benchSizes = []int{1, 5, 20}

// benchTools deploy a built fleet; each gets a fresh lab (hosts with empty stores).
var benchTools = []struct {
	name   string
	deploy func(b *testing.B, f *fleet) run
}{
	{"nixmesh", func(b *testing.B, f *fleet) run { return f.nixmeshDeploy(b) }},
	{"result", func(b *testing.B, f *fleet) run { return f.runResult(b) }},
	{"baseline", func(b *testing.B, f *fleet) run { return f.baseline(b) }},
}

// benchTimes collects the wall times of one run, for the table at the end.
var benchTimes = struct {
	sync.Mutex
	m map[string]time.Duration
}{m: map[string]time.Duration{}}

func recordTime(key string, d time.Duration) {
	benchTimes.Lock()
	benchTimes.m[key] = d
	benchTimes.Unlock()
}

// BenchmarkDeploy deploys generated fleets of standalone hosts (testdata/bench.nix: a few
// files, a user and an activation snippet each) to fresh labs of 1, 5 and 20 hosts with
//
//	nixmesh   `nixmesh deploy` (evaluation, a no-op build, then the deploy engine)
//	result    the generated script of front door 1 (`./result`), built beforehand
//	baseline  what krops/lollypops-style tools do: host after host, nix-copy-closure then
//	          `ssh HOST SYSTEM/bin/switch-to-configuration switch` (no confirmation)
//
// and a no-op redeploy of 20 hosts with the first two. Only the deploy is timed, not the
// lab or the systems' build. It prints a table with the ratios at the end.
func BenchmarkDeploy(b *testing.B) {
	require(b)
	nixmeshBinary(b) // built now: a build inside the first timed deploy would count as its CPU
	for _, n := range benchSizes {
		for _, tool := range benchTools {
			b.Run(fmt.Sprintf("%s/hosts=%d", tool.name, n), func(b *testing.B) {
				var total, deployerCPU, hostsCPU time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					f := newFleet(b, n)
					b.StartTimer()
					machine0 := machineCPU(b)
					start := time.Now()
					r := tool.deploy(b, f)
					d := time.Since(start)
					machine := machineCPU(b) - machine0
					b.StopTimer()
					if r.code != 0 {
						b.Fatalf("%s on %d hosts exited with %d:\n%s", tool.name, n, r.code, r.output)
					}
					f.checkDeployed(b)
					total += d
					deployerCPU += r.cpu
					hostsCPU += machine - r.cpu
				}
				avg := total / time.Duration(b.N)
				b.ReportMetric(avg.Seconds(), "s/deploy")
				b.ReportMetric(avg.Seconds()/float64(n), "s/host")
				perHost := func(d time.Duration) time.Duration { return d / time.Duration(b.N) / time.Duration(n) }
				b.ReportMetric(float64(perHost(deployerCPU).Milliseconds()), "deployer-cpu-ms/host")
				recordTime(fmt.Sprintf("%s/%d", tool.name, n), avg)
				recordTime(fmt.Sprintf("cpu-deployer:%s/%d", tool.name, n), perHost(deployerCPU))
				recordTime(fmt.Sprintf("cpu-hosts:%s/%d", tool.name, n), perHost(hostsCPU))
			})
		}
	}
	n := benchSizes[len(benchSizes)-1]
	for _, tool := range benchTools[:2] { // the baseline has no notion of "unchanged"
		b.Run(fmt.Sprintf("%s-noop/hosts=%d", tool.name, n), func(b *testing.B) {
			b.StopTimer()
			f := newFleet(b, n)
			if r := tool.deploy(b, f); r.code != 0 {
				b.Fatalf("first deploy exited with %d:\n%s", r.code, r.output)
			}
			before := f.switchCounters(b)
			var total, deployerCPU, hostsCPU time.Duration
			for i := 0; i < b.N; i++ {
				b.StartTimer()
				machine0 := machineCPU(b)
				start := time.Now()
				r := tool.deploy(b, f)
				d := time.Since(start)
				machine := machineCPU(b) - machine0
				b.StopTimer()
				if r.code != 0 {
					b.Fatalf("redeploy exited with %d:\n%s", r.code, r.output)
				}
				total += d
				deployerCPU += r.cpu
				hostsCPU += machine - r.cpu
			}
			recordTime(fmt.Sprintf("cpu-deployer:%s-noop/%d", tool.name, n), deployerCPU/time.Duration(b.N)/time.Duration(n))
			recordTime(fmt.Sprintf("cpu-hosts:%s-noop/%d", tool.name, n), hostsCPU/time.Duration(b.N)/time.Duration(n))
			if after := f.switchCounters(b); after != before {
				b.Errorf("the no-op redeploy started switches: %s -> %s", before, after)
			}
			avg := total / time.Duration(b.N)
			b.ReportMetric(avg.Seconds(), "s/deploy")
			recordTime(fmt.Sprintf("%s-noop/%d", tool.name, n), avg)
		})
	}
	printBenchTable(b)
}

// printBenchTable prints the wall times and the ratios the issue asks for.
func printBenchTable(b *testing.B) {
	benchTimes.Lock()
	defer benchTimes.Unlock()
	m := benchTimes.m
	if len(m) == 0 {
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nDeploy wall times (fresh lab hosts; systems built beforehand)\n")
	fmt.Fprintf(&sb, "%-10s", "hosts")
	for _, t := range benchTools {
		fmt.Fprintf(&sb, "%12s", t.name)
	}
	sb.WriteString("\n")
	for _, n := range benchSizes {
		fmt.Fprintf(&sb, "%-10d", n)
		for _, t := range benchTools {
			if d, ok := m[fmt.Sprintf("%s/%d", t.name, n)]; ok {
				fmt.Fprintf(&sb, "%11.2fs", d.Seconds())
			} else {
				fmt.Fprintf(&sb, "%12s", "-")
			}
		}
		sb.WriteString("\n")
	}
	big, small := benchSizes[len(benchSizes)-1], benchSizes[0]
	ratio := func(label, a, c string) {
		da, okA := m[a]
		dc, okC := m[c]
		if okA && okC && dc > 0 {
			fmt.Fprintf(&sb, "%-40s %6.2fx  (%.2fs / %.2fs)\n", label, da.Seconds()/dc.Seconds(), da.Seconds(), dc.Seconds())
		}
	}
	ratio(fmt.Sprintf("nixmesh %d hosts vs %d host", big, small), fmt.Sprintf("nixmesh/%d", big), fmt.Sprintf("nixmesh/%d", small))
	ratio(fmt.Sprintf("./result %d hosts vs %d host", big, small), fmt.Sprintf("result/%d", big), fmt.Sprintf("result/%d", small))
	ratio(fmt.Sprintf("nixmesh vs baseline at %d hosts", big), fmt.Sprintf("nixmesh/%d", big), fmt.Sprintf("baseline/%d", big))
	ratio(fmt.Sprintf("./result vs baseline at %d hosts", big), fmt.Sprintf("result/%d", big), fmt.Sprintf("baseline/%d", big))
	for _, tool := range []string{"nixmesh", "result"} {
		if d, ok := m[fmt.Sprintf("%s-noop/%d", tool, big)]; ok {
			fmt.Fprintf(&sb, "%-40s %6.2fs\n", fmt.Sprintf("%s no-op redeploy, %d hosts", tool, big), d.Seconds())
		}
	}
	// CPU per host: the deployer's (the tool's process and what it waited for) and the
	// rest of the machine's (the lab hosts: sshd, imports, activations), per deploy.
	fmt.Fprintf(&sb, "\nCPU per host, deployer / hosts (ms)\n%-16s", "run")
	for _, t := range benchTools {
		fmt.Fprintf(&sb, "%16s", t.name)
	}
	sb.WriteString("\n")
	rows := []string{}
	for _, n := range benchSizes {
		rows = append(rows, strconv.Itoa(n))
	}
	rows = append(rows, fmt.Sprintf("noop/%d", big))
	for _, row := range rows {
		fmt.Fprintf(&sb, "%-16s", row)
		for _, t := range benchTools {
			key := t.name + "/" + row
			if strings.HasPrefix(row, "noop/") {
				key = t.name + "-noop/" + strings.TrimPrefix(row, "noop/")
			}
			dep, ok1 := m["cpu-deployer:"+key]
			hosts, ok2 := m["cpu-hosts:"+key]
			if ok1 && ok2 {
				fmt.Fprintf(&sb, "%16s", fmt.Sprintf("%d / %d", dep.Milliseconds(), hosts.Milliseconds()))
			} else {
				fmt.Fprintf(&sb, "%16s", "-")
			}
		}
		sb.WriteString("\n")
	}
	fmt.Print(sb.String())
}

// machineCPU is the CPU time all processes of this machine have used so far (from
// /proc/stat: user, nice, system, irq, softirq), to take the lab hosts' share of a
// deploy as the machine's minus the deployer's.
func machineCPU(b *testing.B) time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system irq softirq
		if i < len(f) {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += v
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// ---------------------------------------------------------------------------------------

// fleet is a fresh lab of n hosts with testdata/bench.nix built for it.
type fleet struct {
	lab     *lab.Lab
	dir     string
	labFile string
	file    string // testdata/bench.nix
	result  string // the built deploy script (its systems are built with it)
	systems map[string]string
	dep     *deployer
}

func newFleet(b *testing.B, n int) *fleet {
	b.Helper()
	hosts := make([]lab.HostSpec, n)
	for i := range hosts {
		hosts[i].Name = fmt.Sprintf("h%02d", i+1)
	}
	l := labtest.Up(b, lab.Config{Hosts: hosts})
	dir := b.TempDir()
	f := &fleet{
		lab:     l,
		dir:     dir,
		labFile: filepath.Join(dir, "lab.nix"),
		file:    filepath.Join(testutil.RepoRoot(), "e2e", "testdata", "bench.nix"),
		result:  filepath.Join(dir, "result"),
		dep:     newDeployer(b, dir, l),
	}
	if err := lab.WriteNix(f.labFile, l); err != nil {
		b.Fatal(err)
	}
	argv := []string{"nix-build", f.file, "--argstr", "labHosts", f.labFile, "-o", f.result}
	if _, err := command.Output(testContext(b), command.Cmd{Argv: argv, Env: testutil.NixEnv()}); err != nil {
		b.Fatalf("nix-build: %v\n%s", err, stderrOf(err))
	}
	f.systems = f.buildSystems(b)
	return f
}

func (f *fleet) nixmeshDeploy(b *testing.B) run {
	cmd := exec.Command(nixmeshBinary(b), "deploy", "-f", f.file, "--", "--argstr", "labHosts", f.labFile)
	cmd.Env = f.dep.env()
	return runQuiet(b, cmd)
}

func (f *fleet) runResult(b *testing.B) run {
	// The script runs the engine it finds on PATH (the deployment pins none).
	if link := filepath.Join(f.dep.bin, "nixmesh"); !exists(link) {
		if err := os.Symlink(nixmeshBinary(b), link); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command(f.result)
	cmd.Env = f.dep.env()
	return runQuiet(b, cmd)
}

// baseline deploys host after host: copy the closure, then switch over ssh.
func (f *fleet) baseline(b *testing.B) run {
	systems := f.systems
	var out strings.Builder
	var cpu time.Duration
	for _, h := range f.lab.Hosts() {
		sys := systems[h.Name]
		target := "root@" + h.Address.String()
		steps := [][]string{
			{"nix-copy-closure", "--to", target, sys},
			{filepath.Join(f.dep.bin, "ssh"), "-p", strconv.Itoa(h.Port), target, sys + "/bin/switch-to-configuration", "switch"},
		}
		for _, argv := range steps {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(f.dep.env(), "NIX_SSHOPTS=-p "+strconv.Itoa(h.Port))
			r := runQuiet(b, cmd)
			out.WriteString(r.output)
			cpu += r.cpu
			if r.code != 0 {
				return run{code: r.code, output: out.String(), cpu: cpu}
			}
		}
	}
	return run{output: out.String(), cpu: cpu}
}

// buildSystems maps each host to its built system (the deployment's `systems.<name>`).
func (f *fleet) buildSystems(b *testing.B) map[string]string {
	b.Helper()
	m := map[string]string{}
	argv := []string{"nix-build", "--no-out-link", f.file, "--argstr", "labHosts", f.labFile}
	hosts := f.lab.Hosts()
	for _, h := range hosts {
		argv = append(argv, "-A", "systems."+h.Name)
	}
	out, err := command.Output(testContext(b), command.Cmd{Argv: argv, Env: testutil.NixEnv()})
	if err != nil {
		b.Fatalf("nix-build systems: %v\n%s", err, stderrOf(err))
	}
	paths := strings.Fields(string(out))
	if len(paths) != len(hosts) {
		b.Fatalf("nix-build printed %d paths for %d systems", len(paths), len(hosts))
	}
	for i, h := range hosts {
		m[h.Name] = paths[i]
	}
	return m
}

// checkDeployed checks that every host runs its system.
func (f *fleet) checkDeployed(b *testing.B) {
	b.Helper()
	for _, h := range f.lab.Hosts() {
		out, err := hostExec(testContext(b), f.lab, h.Name, nil, "cat", "/etc/bench/motd")
		if err != nil || !strings.HasPrefix(out, h.Name+":") {
			b.Fatalf("%s: /etc/bench/motd is %q (%v): the deploy did not apply", h.Name, out, err)
		}
	}
}

// switchCounters is every host's switch counter, as one string.
func (f *fleet) switchCounters(b *testing.B) string {
	var parts []string
	for _, h := range f.lab.Hosts() {
		out, _ := hostExec(testContext(b), f.lab, h.Name, nil, "cat", "/var/lib/nixmesh/switch/counter")
		parts = append(parts, h.Name+"="+strings.TrimSpace(out))
	}
	return strings.Join(parts, ",")
}

// runQuiet runs cmd to the end and returns its combined output and exit code.
func runQuiet(b *testing.B, cmd *exec.Cmd) run {
	b.Helper()
	out, err := cmd.CombinedOutput()
	r := run{output: string(out)}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			b.Fatalf("%s: %v", cmd.Path, err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
