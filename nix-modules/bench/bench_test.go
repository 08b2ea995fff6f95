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
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

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
