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
		`"node:web" -> "node:gw" [color=blue, label="deploy@web → root@gw"]`,
		`subgraph "cluster_vpn_bb"`,
		`"vpn:bb:gw" [shape=doublecircle`,
		`"vpn:bb:db" -> "vpn:bb:gw" [dir=none`,
		`"vpn:bb:gw" -> "vpn:bb:web" [dir=none`,
		`"node:gw" -> "zone:lab.test" [style=bold, label="primary"]`,
		`"node:db" -> "zone:lab.test" [style=dashed, label="secondary"]`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s:\n%s", want, dot)
		}
	}
	// A star has no link between clients.
	if strings.Contains(dot, `"vpn:bb:db" -> "vpn:bb:web"`) {
		t.Errorf("DOT links two star clients:\n%s", dot)
	}
	mm := g.Mermaid()
	for _, want := range []string{"flowchart LR", `"deploy@web → root@gw"`, `["VPN bb 10.77.0.0/24 (star)"]`, `==>|primary|`, `-.->|secondary|`} {
		if !strings.Contains(mm, want) {
			t.Errorf("Mermaid lacks %s:\n%s", want, mm)
		}
	}
	if strings.Count(mm, " --- ") != 2 {
		t.Errorf("Mermaid should have 2 VPN links:\n%s", mm)
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
