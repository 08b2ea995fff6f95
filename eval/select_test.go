package eval

import (
	"errors"
	"strings"
	"testing"
)

func testNetwork() *Network {
	node := func(name string, enable bool, tags ...string) *Node {
		return &Node{Name: name, Enable: enable, Tags: tags}
	}
	return &Network{Nodes: map[string]*Node{
		"gateway": node("gateway", true, "infra"),
		"web-1":   node("web-1", true, "web"),
		"web-2":   node("web-2", true, "web"),
		"web-old": node("web-old", false, "web", "legacy"),
		"db":      node("db", true, "db"),
	}}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		patterns []string
		want     string // comma-joined names, or "" when an error is expected
		errHas   string
		suggest  string
	}{
		{nil, "db,gateway,web-1,web-2", "", ""},
		{[]string{"db"}, "db", "", ""},
		{[]string{"web-old"}, "web-old", "", ""}, // by name: disabled nodes too
		{[]string{"@web"}, "web-1,web-2", "", ""},
		{[]string{"web-*"}, "web-1,web-2", "", ""},
		{[]string{"web,@db"}, "", `"web" matches no node`, "@web"},
		{[]string{"web-1,@db"}, "db,web-1", "", ""},
		{[]string{"db", "@web", "web-1"}, "db,web-1,web-2", "", ""},
		{[]string{"db,,"}, "db", "", ""},
		{[]string{"gatway"}, "", `"gatway" matches no node`, "gateway"},
		{[]string{"@wbe"}, "", `"@wbe" matches no tag`, "@web"},
		{[]string{"@legacy"}, "", "only disabled nodes (web-old)", ""},
		{[]string{"@gatewy"}, "", `"@gatewy" matches no tag`, "gateway"},
		{[]string{"@zzzzzz"}, "", `matches no tag (tags: @db, @infra, @legacy, @web)`, ""},
		{[]string{"zzzzzz"}, "", `"zzzzzz" matches no node`, ""},
		{[]string{"x*"}, "", `"x*" matches no node`, ""},
		{[]string{"web-["}, "", "not a valid glob", ""},
		{[]string{","}, "", "selects no node", ""},
	}
	for _, tt := range tests {
		got, err := Select(testNetwork(), tt.patterns)
		if tt.errHas == "" {
			if err != nil || strings.Join(got, ",") != tt.want {
				t.Errorf("Select(%q) = %q, %v; want %s", tt.patterns, got, err, tt.want)
			}
			continue
		}
		var se *SelectError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.errHas) {
			t.Errorf("Select(%q) = %q, %v; want a SelectError containing %q", tt.patterns, got, err, tt.errHas)
			continue
		}
		if se.Suggestion != tt.suggest {
			t.Errorf("Select(%q) suggestion = %q, want %q", tt.patterns, se.Suggestion, tt.suggest)
		}
		if tt.suggest != "" && !strings.Contains(err.Error(), "did you mean \""+tt.suggest+"\"") {
			t.Errorf("Select(%q) error %q does not offer %q", tt.patterns, err, tt.suggest)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"gateway", "gatway", 1}, {"kitten", "sitting", 3}, {"web", "wbe", 1}, {"ab", "ba", 1}} {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}

// Selected names come in the order people number hosts: web-2 before web-10.
func TestSelectNaturalOrder(t *testing.T) {
	n := &Network{Nodes: map[string]*Node{}}
	for _, name := range []string{"web-10", "web-2", "web-1", "db", "web-11"} {
		n.Nodes[name] = &Node{Name: name, Enable: true}
	}
	for _, patterns := range [][]string{nil, {"web-*"}} {
		got, err := Select(n, patterns)
		if err != nil {
			t.Fatal(err)
		}
		want := "web-1,web-2,web-10,web-11"
		if patterns == nil {
			want = "db," + want
		}
		if strings.Join(got, ",") != want {
			t.Errorf("Select(%q) = %q, want %s", patterns, got, want)
		}
	}
}
