package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

func labDeployment(t *testing.T) string {
	t.Helper()
	file := filepath.Join(testutil.RepoRoot(), "examples", "lab", "deploy.nix")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("examples/lab/deploy.nix: %v", err)
	}
	return file
}

// The lab example evaluates to three standalone hosts with the connection and the
// cross-host parts the example declares.
func TestEvalLabExample(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	g, _ := globals(t, labDeployment(t))
	var out bytes.Buffer
	if err := runEval(context.Background(), evalOptions{global: g, JSON: true}, &out); err != nil {
		var msg bytes.Buffer
		reportError(&msg, err, false)
		t.Fatalf("%v\n%s", err, msg.String())
	}
	var nodes map[string]struct {
		Connection struct {
			Host, Kind string
			Port       int
		} `json:"connection"`
		Configuration struct {
			Networking struct {
				HostName string `json:"hostName"`
			} `json:"networking"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(out.Bytes(), &nodes); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"gateway": "root@198.18.0.11", "web": "root@198.18.0.12", "db": "root@198.18.0.13"}
	if len(nodes) != len(want) {
		t.Errorf("nodes: %v", nodes)
	}
	for name, host := range want {
		n := nodes[name]
		if n.Connection.Host != host || n.Connection.Kind != "standalone" || n.Connection.Port != 22 || n.Configuration.Networking.HostName != name {
			t.Errorf("%s = %+v", name, n)
		}
	}

	// The readable form names the cross-host parts.
	out.Reset()
	if err := runEval(context.Background(), evalOptions{global: g, Selectors: []string{"gateway"}}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "gateway  (standalone, enabled)\n") || !strings.Contains(out.String(), "  cross-host\n    ssh access   user operator accepts") {
		t.Errorf("tree:\n%s", out.String())
	}
}

// Building the lab example yields each node's standalone toplevel, whose state
// (manifest.nix) names the node (docs/internals.md, "The standalone toplevel").
func TestBuildLabExample(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	g, _ := globals(t, labDeployment(t))
	var out bytes.Buffer
	if err := runBuild(context.Background(), buildOptions{global: g}, &out); err != nil {
		var msg bytes.Buffer
		reportError(&msg, err, false)
		t.Fatalf("%v\n%s", err, msg.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out.String())
	}
	for _, l := range lines {
		name, path, _ := strings.Cut(l, "\t")
		if state := testutil.StandaloneState(t, path); state["node_name"] != name || state["host_name"] != name {
			t.Errorf("%s: the system's state names node %q, host %q", name, state["node_name"], state["host_name"])
		}
	}
}

// Without a deployment, `nixmesh options` lists the framework's own options.
func TestOptionsOfTheFramework(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	g, _ := globals(t, filepath.Join(t.TempDir(), "deploy.nix"))
	var out bytes.Buffer
	err := runOptions(context.Background(), optionsOptions{global: g, Modules: testutil.NixModules(), Filter: []string{"nodes.<name>.port"}}, &out)
	if err != nil {
		var msg bytes.Buffer
		reportError(&msg, err, false)
		t.Fatalf("%v\n%s", err, msg.String())
	}
	s := out.String()
	if !strings.HasPrefix(s, "nodes.<name>.port\n    type:        integer between 1 and 65535") ||
		!strings.Contains(s, "    default:     22\n") || !strings.Contains(s, "    declared in: "+testutil.NixModules()) {
		t.Errorf("got:\n%s", s)
	}
}
