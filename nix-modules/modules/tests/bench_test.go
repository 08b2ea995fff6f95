package modulestests

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/nixmesh/nixmesh/eval"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

// cpuTime is the evaluator's CPU time in NIX_SHOW_STATS output.
var cpuTime = regexp.MustCompile(`"cpuTime": ([0-9.]+)`)

// scaleSpec is the benchmark network: n nodes, a full SSH mesh among n/4 of them (each
// one's key may log in as root on every one, itself included), one n-member VPN of the
// given topology in a /16, and 5n A records in one zone (1,000 at n = 200).
func scaleSpec(n int, topology string) map[string]any {
	keyBytes := func(i int, salt byte) []byte {
		b := make([]byte, 32)
		b[0], b[1], b[2] = byte(i), byte(i>>8), salt
		return b
	}
	key := func(i int, salt byte) string { return base64.StdEncoding.EncodeToString(keyBytes(i, salt)) }
	nodes := map[string]any{}
	members := map[string]any{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("n%03d", i)
		nodes[name] = map[string]any{"host": fmt.Sprintf("root@198.18.%d.%d", i/250, 1+i%250)}
		members[name] = map[string]any{"publicKey": key(i, 1)}
	}
	access := map[string]any{}
	meshSize := n / 4
	for i := 0; i < meshSize; i++ {
		has := map[string]any{}
		for j := 0; j < meshSize; j++ {
			has[fmt.Sprintf("n%03d", j)] = map[string]any{"root": true}
		}
		access[fmt.Sprintf("n%03d", i)] = map[string]any{
			"hostKeys": map[string]any{"ed25519": sshKey("ssh-ed25519", keyBytes(i, 2))},
			"keys": map[string]any{"admin": map[string]any{
				"publicKey":   sshKey("ssh-ed25519", keyBytes(i, 3)) + " admin@n" + strconv.Itoa(i),
				"hasAccessTo": has,
			}},
		}
	}
	net := map[string]any{"subnet": "10.80.0.0/16", "topology": topology, "members": members}
	if topology == "star" {
		net["server"] = "n000"
	}
	records := map[string]any{}
	for i := 0; i < 5*n; i++ {
		records[fmt.Sprintf("r%04d.bench.test", i)] = map[string]any{"A": fmt.Sprintf("10.1.%d.%d", i/250, 1+i%250)}
	}
	return map[string]any{
		"nodes": nodes,
		"ssh":   map[string]any{"access": access},
		"vpn":   map[string]any{"networks": map[string]any{"bench": net}},
		"dns": map[string]any{
			"zones":   map[string]any{"bench.test": map[string]any{"primaryNode": "n000", "secondaryNodes": []string{"n001"}}},
			"records": records,
		},
	}
}

// BenchmarkCross evaluates the plan of the scale network (one nix-instantiate, as the Go
// side does) at 50, 100 and 200 nodes with a star VPN, and at 200 with a mesh VPN
// (200 x 199 peers), reporting wall time (ns/op) and Nix's CPU time (nix-cpu-s/op,
// which a busy machine does not inflate). Run it with
//
//	go test -run '^$' -bench Cross -benchtime 1x ./nix-modules/modules/...
func BenchmarkCross(b *testing.B) {
	testutil.RequireNix(b)
	testutil.SetNixEnv(b)
	cases := []struct {
		n        int
		topology string
	}{{50, "star"}, {100, "star"}, {200, "star"}, {200, "mesh"}}
	for _, c := range cases {
		b.Run(fmt.Sprintf("nodes=%d/vpn=%s", c.n, c.topology), func(b *testing.B) {
			spec := writeSpec(b, scaleSpec(c.n, c.topology))
			b.Setenv("NIX_SHOW_STATS", "1")
			cpu := 0.0
			for i := 0; i < b.N; i++ {
				out, stderr, err := nixEval("-A", "plan", "--argstr", "spec", spec, testdata("from-json.nix"))
				if err != nil {
					b.Fatalf("%v\n%s", err, stderr)
				}
				b.StopTimer()
				plan, err := eval.DecodePlan(out)
				if err != nil {
					b.Fatal(err)
				}
				if len(plan.Nodes) != c.n {
					b.Fatalf("plan has %d nodes, want %d", len(plan.Nodes), c.n)
				}
				if m := cpuTime.FindStringSubmatch(stderr); m != nil {
					s, _ := strconv.ParseFloat(m[1], 64)
					cpu += s
				}
				b.StartTimer()
			}
			// Nix's own CPU time: the wall time above also counts waiting for a busy machine.
			b.ReportMetric(cpu/float64(b.N), "nix-cpu-s/op")
		})
	}
}
