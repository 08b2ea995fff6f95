package crossmodules

import (
	"fmt"
	"sort"
	"strings"
)

// Graph is the topology of a deployment's cross-host features: its nodes, who may SSH
// where, the VPNs with their direct links, and which node serves which DNS zone.
type Graph struct {
	Nodes []string      `json:"nodes"`
	SSH   []SSHEdge     `json:"ssh"`
	VPNs  []VPNCluster  `json:"vpns"`
	Zones []ZoneServers `json:"zones"`
}

// SSHEdge is a granted access, drawn as "key@source -> user@target": keys live on hosts,
// not users, so the key's name stands for the source side (name keys after who holds
// them).
type SSHEdge struct {
	FromHost string `json:"fromHost"`
	FromKey  string `json:"fromKey"`
	ToHost   string `json:"toHost"`
	ToUser   string `json:"toUser"`
}

// VPNCluster is one VPN network: its members (with addresses) and direct links.
type VPNCluster struct {
	Name     string    `json:"name"`
	Subnet   string    `json:"subnet"`
	Topology string    `json:"topology"`
	Server   string    `json:"server,omitempty"`
	Members  []VPNNode `json:"members"`
	Links    []Link    `json:"links"`
}

// VPNNode is a member of a VPN as drawn: node and address.
type VPNNode struct {
	Node    string `json:"node"`
	Address string `json:"address"`
}

// ZoneServers says which nodes serve a zone.
type ZoneServers struct {
	Zone        string   `json:"zone"`
	Primary     string   `json:"primary"`
	Secondaries []string `json:"secondaries"`
}

// Graph builds the topology graph of the model.
func (m *Model) Graph() Graph {
	g := Graph{Nodes: m.Network.Names()}
	for _, gr := range m.SSH.Grants() {
		g.SSH = append(g.SSH, SSHEdge{FromHost: gr.Source, FromKey: gr.Key, ToHost: gr.Target, ToUser: gr.User})
	}
	for _, net := range sortedKeys(m.VPN.Networks) {
		n := m.VPN.Networks[net]
		c := VPNCluster{Name: net, Subnet: n.Subnet, Topology: n.Topology, Server: n.Server, Links: n.Links()}
		for _, name := range sortedKeys(n.Members) {
			c.Members = append(c.Members, VPNNode{Node: name, Address: n.Members[name].Address})
		}
		g.VPNs = append(g.VPNs, c)
	}
	for _, z := range sortedKeys(m.DNS.Zones) {
		zc := m.DNS.Zones[z]
		name := zc.Name
		if name == "" {
			name = normalise(z)
		}
		g.Zones = append(g.Zones, ZoneServers{Zone: name, Primary: zc.PrimaryNode, Secondaries: zc.SecondaryNodes})
	}
	sort.Slice(g.Zones, func(i, j int) bool { return g.Zones[i].Zone < g.Zones[j].Zone })
	return g
}

// dotID quotes a DOT identifier.
func dotID(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// vpnColors are the colours of the VPNs' links, one per network in order (repeating
// after the last).
var vpnColors = []string{"darkgreen", "darkorange", "purple", "brown", "teal", "deeppink"}

// hostLabels are the hosts' labels: the name, then per VPN the host is in its address
// there ("backbone 10.77.0.1", "(server)" for a star's server).
func (g Graph) hostLabels() map[string][]string {
	labels := map[string][]string{}
	for _, n := range g.Nodes {
		labels[n] = []string{n}
	}
	for _, c := range g.VPNs {
		for _, mb := range c.Members {
			line := c.Name + " " + mb.Address
			if mb.Node == c.Server {
				line += " (server)"
			}
			labels[mb.Node] = append(labels[mb.Node], line)
		}
	}
	return labels
}

// DOT renders the graph in Graphviz's language. Every host is one box, whatever VPNs it
// is in (its label lists its VPN addresses); SSH grants are labelled blue arrows; each
// VPN's direct links are lines in a colour of the network's own, labelled with its name;
// each zone is a note, from its primary (bold) and secondaries (dashed). A legend says
// which is which.
func (g Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph nixmesh {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n\n")
	b.WriteString("  // hosts\n")
	labels := g.hostLabels()
	servers := map[string]bool{}
	for _, c := range g.VPNs {
		servers[c.Server] = c.Server != ""
	}
	for _, n := range g.Nodes {
		extra := ""
		if servers[n] {
			extra = ", peripheries=2"
		}
		fmt.Fprintf(&b, "  %s [shape=box, style=rounded%s, label=%s];\n", dotID("node:"+n), extra, dotID(strings.Join(labels[n], "\n")))
	}
	if len(g.SSH) > 0 {
		b.WriteString("\n  // SSH access: key@source -> user@target\n")
		for _, e := range g.SSH {
			fmt.Fprintf(&b, "  %s -> %s [color=blue, fontcolor=blue, label=%s];\n", dotID("node:"+e.FromHost), dotID("node:"+e.ToHost),
				dotID(fmt.Sprintf("%s@%s → %s@%s", e.FromKey, e.FromHost, e.ToUser, e.ToHost)))
		}
	}
	for i, c := range g.VPNs {
		color := vpnColors[i%len(vpnColors)]
		fmt.Fprintf(&b, "\n  // VPN %s %s (%s)\n", c.Name, c.Subnet, c.Topology)
		for _, l := range c.Links {
			fmt.Fprintf(&b, "  %s -> %s [dir=none, penwidth=2, color=%s, fontcolor=%s, label=%s];\n",
				dotID("node:"+l.A), dotID("node:"+l.B), color, color, dotID(c.Name))
		}
	}
	if len(g.Zones) > 0 {
		b.WriteString("\n  // DNS zones\n")
		for _, z := range g.Zones {
			fmt.Fprintf(&b, "  %s [shape=note, label=%s];\n", dotID("zone:"+z.Zone), dotID(z.Zone+"."))
			if z.Primary != "" {
				fmt.Fprintf(&b, "  %s -> %s [style=bold, label=\"primary\"];\n", dotID("node:"+z.Primary), dotID("zone:"+z.Zone))
			}
			for _, s := range z.Secondaries {
				fmt.Fprintf(&b, "  %s -> %s [style=dashed, label=\"secondary\"];\n", dotID("node:"+s), dotID("zone:"+z.Zone))
			}
		}
	}
	b.WriteString("\n  // legend\n")
	fmt.Fprintf(&b, "  legend [shape=plain, label=<%s>];\n", g.legendHTML())
	b.WriteString("}\n")
	return b.String()
}

// legendHTML is the legend as a Graphviz HTML-like table: one row per kind of edge, one
// per VPN in its colour.
func (g Graph) legendHTML() string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace
	row := func(color, sample, text string) string {
		return fmt.Sprintf(`<tr><td align="left"><font color="%s">%s</font></td><td align="left">%s</td></tr>`, color, esc(sample), esc(text))
	}
	var b strings.Builder
	b.WriteString(`<table border="1" cellborder="0" cellspacing="2" color="gray"><tr><td colspan="2"><b>legend</b></td></tr>`)
	b.WriteString(row("black", "[ name ]", "a host, with its address on each VPN (double border: a star's server)"))
	b.WriteString(row("blue", "——>", "SSH grant: key@host may log in as user@target"))
	for i, c := range g.VPNs {
		color := vpnColors[i%len(vpnColors)]
		b.WriteString(row(color, "━━━", fmt.Sprintf("VPN %s %s (%s): a direct WireGuard link", c.Name, c.Subnet, c.Topology)))
	}
	if len(g.Zones) > 0 {
		b.WriteString(row("black", "━━>", "serves the zone as its primary"))
		b.WriteString(row("black", "- - >", "serves a copy of the zone (secondary)"))
	}
	b.WriteString("</table>")
	return b.String()
}

// Mermaid renders the graph as a Mermaid flowchart with the same elements as DOT: each
// host once (with its VPN addresses), VPN links labelled with their network.
func (g Graph) Mermaid() string {
	ids := map[string]string{}
	id := func(key string) string {
		if v, ok := ids[key]; ok {
			return v
		}
		v := fmt.Sprintf("n%d", len(ids))
		ids[key] = v
		return v
	}
	text := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"` }
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	labels := g.hostLabels()
	for _, n := range g.Nodes {
		fmt.Fprintf(&b, "  %s(%s)\n", id("node:"+n), text(strings.Join(labels[n], "<br/>")))
	}
	for _, e := range g.SSH {
		fmt.Fprintf(&b, "  %s -->|%s| %s\n", id("node:"+e.FromHost), text(fmt.Sprintf("%s@%s → %s@%s", e.FromKey, e.FromHost, e.ToUser, e.ToHost)), id("node:"+e.ToHost))
	}
	for _, c := range g.VPNs {
		for _, l := range c.Links {
			fmt.Fprintf(&b, "  %s ---|%s| %s\n", id("node:"+l.A), text("VPN "+c.Name), id("node:"+l.B))
		}
	}
	for _, z := range g.Zones {
		fmt.Fprintf(&b, "  %s[/%s/]\n", id("zone:"+z.Zone), text(z.Zone+"."))
		if z.Primary != "" {
			fmt.Fprintf(&b, "  %s ==>|primary| %s\n", id("node:"+z.Primary), id("zone:"+z.Zone))
		}
		for _, s := range z.Secondaries {
			fmt.Fprintf(&b, "  %s -.->|secondary| %s\n", id("node:"+s), id("zone:"+z.Zone))
		}
	}
	return b.String()
}

// normalise is a DNS name as compared: lower case, without the final dot.
func normalise(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }
