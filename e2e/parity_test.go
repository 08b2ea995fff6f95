package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The parity proof of the two front doors: each records, per step, every command it ran
// on a host (`deploy --trace`; ./result passes the flag to the engine). For the steps
// whose course does not depend on timing, both must have run the same commands on the
// same nodes with the same exit codes. Commands are compared as sets per node (how often
// a status is polled depends on timing), after the parts that differ between two labs
// are normalised: store path hashes (each lab's addresses are in its systems) and numbers
// (switch ids).

type traceRecord struct {
	Node string   `json:"node"`
	Argv []string `json:"argv"`
	Exit int      `json:"exit"`
}

var storeHashRe = regexp.MustCompile(`/nix/store/[0-9a-z]{32}-`)
var numberRe = regexp.MustCompile(`^[0-9]+$`)

// readTrace returns node -> the sorted distinct normalised commands, each with the exit
// code of its last run ("argv => exit").
func readTrace(t *testing.T, file string) map[string][]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("%v (did the deployer write no trace?)", err)
	}
	defer f.Close()
	seen := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r traceRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		words := make([]string, len(r.Argv))
		for i, a := range r.Argv {
			a = storeHashRe.ReplaceAllString(a, "/nix/store/HASH-")
			if numberRe.MatchString(a) {
				a = "N"
			}
			if len(a) > 80 {
				a = a[:80] + "..." // the embedded programs (the same source in both doors)
			}
			words[i] = a
		}
		sortStoreRuns(words)
		if seen[r.Node] == nil {
			seen[r.Node] = map[string]int{}
		}
		// The last exit code of each command: a retried health check may fail first
		// in one door and not in the other; how it ended must be the same.
		seen[r.Node][fmt.Sprintf("%q", words)] = r.Exit
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for node, set := range seen {
		for c, exit := range set {
			out[node] = append(out[node], fmt.Sprintf("%s => %d", c, exit))
		}
		sort.Strings(out[node])
	}
	return out
}

func compareTraces(t *testing.T, dir string, steps []string) {
	if len(frontDoors) != 2 {
		t.Fatalf("parity needs two front doors, have %d", len(frontDoors))
	}
	a, b := frontDoors[0].name, frontDoors[1].name
	for _, step := range steps {
		ta := readTrace(t, filepath.Join(dir, a, step+".jsonl"))
		tb := readTrace(t, filepath.Join(dir, b, step+".jsonl"))
		if len(ta) == 0 {
			t.Errorf("%s: %s ran nothing on any host; the comparison would prove nothing", step, a)
		}
		for _, node := range exampleNodes {
			ca, cb := ta[node], tb[node]
			if strings.Join(ca, "\n") == strings.Join(cb, "\n") {
				t.Logf("%s/%s: the same %d distinct commands", step, node, len(ca))
				continue
			}
			t.Errorf("%s/%s: the doors ran different commands\nonly %s:\n  %s\nonly %s:\n  %s", step, node,
				a, strings.Join(minus(ca, cb), "\n  "), b, strings.Join(minus(cb, ca), "\n  "))
		}
	}
}

// sortStoreRuns sorts each run of consecutive store path arguments: with their hashes
// normalised away, their order (by hash) says nothing.
func sortStoreRuns(words []string) {
	isStore := func(w string) bool { return strings.HasPrefix(w, "/nix/store/HASH-") }
	for i := 0; i < len(words); {
		j := i
		for j < len(words) && isStore(words[j]) {
			j++
		}
		if j > i {
			sort.Strings(words[i:j])
			i = j
		} else {
			i++
		}
	}
}

// minus is the elements of a not in b.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}
