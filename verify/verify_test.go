package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/eval"
)

// Declared data and dig's answers compare word by word: names without case and with
// relative names completed by the zone, addresses by value.
func TestAnswerHas(t *testing.T) {
	for _, c := range []struct {
		lines []string
		data  string
		want  bool
	}{
		{[]string{"198.18.0.12"}, "198.18.0.12", true},
		{[]string{"2001:db8::1"}, "2001:0db8:0:0::1", true},
		{[]string{"10 mail.lab.test."}, "10 mail", true},
		{[]string{"10 mail.lab.test."}, "10 Mail.Lab.Test.", true},
		{[]string{"10 mail.lab.test."}, "20 mail.lab.test.", false},
		{[]string{"web.lab.test."}, "www.lab.test.", false},
		{[]string{"198.18.0.13", "198.18.0.12"}, "198.18.0.12", true},
		{nil, "198.18.0.12", false},
		{[]string{`"v=spf1 mx -all"`}, `"v=spf1 mx -all"`, true},
	} {
		if got := answerHas(c.lines, c.data, "lab.test"); got != c.want {
			t.Errorf("answerHas(%q, %q) = %v, want %v", c.lines, c.data, got, c.want)
		}
	}
}

// A zone is probed from its primary: a secondary with a stale serial fails the SOA edge
// and a record it answers differently fails that record, naming the server.
func TestZoneProbes(t *testing.T) {
	m := &crossmodules.Model{Network: &eval.Network{Nodes: map[string]*eval.Node{}}}
	m.DNS.Zones = map[string]crossmodules.DNSZone{"lab.test": {Name: "lab.test", PrimaryNode: "gw", SecondaryNodes: []string{"db"}, Serial: 7}}
	m.DNS.Addresses = map[string]string{"gw": "10.0.0.1", "db": "10.0.0.3"}
	m.DNS.Records = []crossmodules.DNSRecord{
		{Name: "web.lab.test", Type: "A", Data: "10.0.0.2", Zone: "lab.test"},
		{Name: "new.lab.test", Type: "A", Data: "10.0.0.9", Zone: "lab.test"},
	}
	var asked []string
	run := func(_ context.Context, node, script string, args ...string) (string, error) {
		asked = append(asked, node)
		var out strings.Builder
		for i := 0; i+2 < len(args); i += 3 {
			server, name, typ := args[i], args[i+1], args[i+2]
			out.WriteString("== " + server + " " + name + " " + typ + "\n")
			switch {
			case typ == "SOA" && server == "10.0.0.1":
				out.WriteString("gw.lab.test. hostmaster.lab.test. 7 3600 600 86400 300\n")
			case typ == "SOA":
				out.WriteString("gw.lab.test. hostmaster.lab.test. 6 3600 600 86400 300\n")
			case name == "web.lab.test":
				out.WriteString("10.0.0.2\n")
			case name == "new.lab.test" && server == "10.0.0.1":
				out.WriteString("10.0.0.9\n")
			}
			out.WriteString("== rc 0\n")
		}
		return out.String(), nil
	}
	results := Verify(context.Background(), m, run, Options{})
	byEdge := map[string]Result{}
	for _, r := range results {
		byEdge[r.Edge] = r
	}
	if len(asked) != 1 || asked[0] != "gw" {
		t.Errorf("asked from %v, want once from the primary gw", asked)
	}
	if r := byEdge["lab.test SOA serial"]; r.OK || !strings.Contains(r.Evidence, "db 6") {
		t.Errorf("SOA: %+v, want failed naming db's serial 6", r)
	}
	if r := byEdge["web.lab.test A 10.0.0.2"]; !r.OK {
		t.Errorf("web: %+v, want ok", r)
	}
	if r := byEdge["new.lab.test A 10.0.0.9"]; r.OK || !strings.Contains(r.Evidence, "db answers") {
		t.Errorf("new: %+v, want failed naming db", r)
	}
}
