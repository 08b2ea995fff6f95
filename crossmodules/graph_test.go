package crossmodules

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func graphModel(t *testing.T) *Model {
	parts := map[string]any{
		"ssh": map[string]any{
			"gw":  map[string]any{"hostKeys": map[string]any{"ed25519": hostKey}},
			"web": map[string]any{"keys": map[string]any{"deploy": map[string]any{"publicKey": userKey, "hasAccessTo": map[string]any{"gw": map[string]any{"root": true}}}}},
		},
		"vpn": map[string]any{"networks": map[string]any{"bb": map[string]any{"subnet": "10.77.0.0/24", "topology": "star", "server": "gw",
			"members": map[string]any{"gw": member("10.77.0.1", "gw:51820", wgA), "web": member("10.77.0.2", "", wgB), "db": member("10.77.0.3", "", wgB)}}}},
		"dns": map[string]any{"zones": map[string]any{"lab.test.": map[string]any{"name": "lab.test", "primaryNode": "gw", "secondaryNodes": []string{"db"}}}},
	}
	m, err := Decode(network(t, map[string]any{"gw": nil, "web": nil, "db": nil}, parts))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGraphDOTAndMermaid(t *testing.T) {
	g := graphModel(t).Graph()
	dot := g.DOT()
	for _, want := range []string{
		`"node:web" -> "node:gw" [color=blue, fontcolor=blue, label="deploy@web → root@gw"]`,
		"\"node:gw\" [shape=box, style=rounded, peripheries=2, label=\"gw\nbb 10.77.0.1 (server)\"]",
		`"node:db" -> "node:gw" [dir=none, penwidth=2, color=darkgreen, fontcolor=darkgreen, label="bb"]`,
		`"node:gw" -> "node:web" [dir=none`,
		`"node:gw" -> "zone:lab.test" [style=bold, label="primary"]`,
		`"node:db" -> "zone:lab.test" [style=dashed, label="secondary"]`,
		`legend [shape=plain, label=<`,
		`<font color="darkgreen">━━━</font></td><td align="left">VPN bb 10.77.0.0/24 (star): a direct WireGuard link`,
		`SSH grant: key@host may log in as user@target`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s:\n%s", want, dot)
		}
	}
	// A star has no link between clients.
	if strings.Contains(dot, `"node:db" -> "node:web" [dir=none`) {
		t.Errorf("DOT links two star clients:\n%s", dot)
	}
	mm := g.Mermaid()
	for _, want := range []string{"flowchart LR", `"deploy@web → root@gw"`, `"gw<br/>bb 10.77.0.1 (server)"`, `---|"VPN bb"|`, `==>|primary|`, `-.->|secondary|`} {
		if !strings.Contains(mm, want) {
			t.Errorf("Mermaid lacks %s:\n%s", want, mm)
		}
	}
	if strings.Count(mm, " ---|") != 2 {
		t.Errorf("Mermaid should have 2 VPN links:\n%s", mm)
	}
}

// A host in two VPNs is drawn once, with both addresses; each network has its own colour
// in the links and the legend.
func TestGraphHostInTwoVPNs(t *testing.T) {
	g := Graph{
		Nodes: []string{"a", "b"},
		VPNs: []VPNCluster{
			{Name: "one", Subnet: "10.1.0.0/24", Topology: "mesh", Members: []VPNNode{{"a", "10.1.0.1"}, {"b", "10.1.0.2"}}, Links: []Link{{A: "a", B: "b"}}},
			{Name: "two", Subnet: "10.2.0.0/24", Topology: "mesh", Members: []VPNNode{{"a", "10.2.0.1"}, {"b", "10.2.0.2"}}, Links: []Link{{A: "a", B: "b"}}},
		},
	}
	dot := g.DOT()
	if n := strings.Count(dot, "[shape=box"); n != 2 {
		t.Errorf("%d host boxes for 2 hosts:\n%s", n, dot)
	}
	for _, want := range []string{"label=\"a\none 10.1.0.1\ntwo 10.2.0.1\"]", `color=darkgreen, fontcolor=darkgreen, label="one"`, `color=darkorange, fontcolor=darkorange, label="two"`,
		`<font color="darkorange">━━━</font></td><td align="left">VPN two 10.2.0.0/24 (mesh)`} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s:\n%s", want, dot)
		}
	}
	if strings.Contains(dot, "peripheries") || strings.Contains(dot, "zone") {
		t.Errorf("DOT draws a server or zones that do not exist:\n%s", dot)
	}
}

func TestSVG(t *testing.T) {
	dot := graphModel(t).Graph().DOT()
	if _, err := exec.LookPath("dot"); err != nil {
		t.Setenv("PATH", t.TempDir())
		if _, err := SVG(context.Background(), dot); !errors.Is(err, ErrNoGraphviz) {
			t.Fatalf("without dot: %v, want ErrNoGraphviz", err)
		}
		return
	}
	svg, err := SVG(context.Background(), dot)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "lab.test.") {
		t.Errorf("not an SVG of the graph: %.200s", svg)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := SVG(context.Background(), dot); !errors.Is(err, ErrNoGraphviz) {
		t.Errorf("with dot off PATH: %v, want ErrNoGraphviz", err)
	}
}
