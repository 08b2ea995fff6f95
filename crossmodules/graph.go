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

// DOT renders the graph in Graphviz's language: nodes as boxes, SSH grants as labelled
// blue edges, each VPN as a cluster of its members' interfaces (linked to their nodes)
// with the star or mesh links, each zone as a note linked from its primary (bold) and
// secondaries (dashed).
func (g Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph nixmesh {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n\n")
	b.WriteString("  // nodes\n")
	for _, n := range g.Nodes {
		fmt.Fprintf(&b, "  %s [shape=box, style=rounded, label=%s];\n", dotID("node:"+n), dotID(n))
	}
	if len(g.SSH) > 0 {
		b.WriteString("\n  // SSH access: key@source -> user@target\n")
		for _, e := range g.SSH {
			fmt.Fprintf(&b, "  %s -> %s [color=blue, label=%s];\n", dotID("node:"+e.FromHost), dotID("node:"+e.ToHost),
				dotID(fmt.Sprintf("%s@%s → %s@%s", e.FromKey, e.FromHost, e.ToUser, e.ToHost)))
		}
	}
	for _, c := range g.VPNs {
		fmt.Fprintf(&b, "\n  // VPN %s (%s)\n  subgraph %s {\n    label=%s;\n    style=dashed;\n", c.Name, c.Topology,
			dotID("cluster_vpn_"+c.Name), dotID(fmt.Sprintf("VPN %s %s (%s)", c.Name, c.Subnet, c.Topology)))
		for _, mb := range c.Members {
			shape := "ellipse"
			if mb.Node == c.Server {
				shape = "doublecircle"
			}
			fmt.Fprintf(&b, "    %s [shape=%s, label=%s];\n", dotID("vpn:"+c.Name+":"+mb.Node), shape, dotID(mb.Node+"\n"+mb.Address))
		}
		for _, l := range c.Links {
			fmt.Fprintf(&b, "    %s -> %s [dir=none, color=darkgreen];\n", dotID("vpn:"+c.Name+":"+l.A), dotID("vpn:"+c.Name+":"+l.B))
		}
		b.WriteString("  }\n")
		for _, mb := range c.Members {
			fmt.Fprintf(&b, "  %s -> %s [style=dotted, arrowhead=none];\n", dotID("node:"+mb.Node), dotID("vpn:"+c.Name+":"+mb.Node))
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
	b.WriteString("}\n")
	return b.String()
}

// Mermaid renders the graph as a Mermaid flowchart with the same elements as DOT.
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
	for _, n := range g.Nodes {
		fmt.Fprintf(&b, "  %s(%s)\n", id("node:"+n), text(n))
	}
	for _, e := range g.SSH {
		fmt.Fprintf(&b, "  %s -->|%s| %s\n", id("node:"+e.FromHost), text(fmt.Sprintf("%s@%s → %s@%s", e.FromKey, e.FromHost, e.ToUser, e.ToHost)), id("node:"+e.ToHost))
	}
	for _, c := range g.VPNs {
		fmt.Fprintf(&b, "  subgraph %s[%s]\n", id("vpn:"+c.Name), text(fmt.Sprintf("VPN %s %s (%s)", c.Name, c.Subnet, c.Topology)))
		for _, mb := range c.Members {
			shape := "([%s])"
			if mb.Node == c.Server {
				shape = "((%s))"
			}
			fmt.Fprintf(&b, "    %s"+shape+"\n", id("vpn:"+c.Name+":"+mb.Node), text(mb.Node+" "+mb.Address))
		}
		for _, l := range c.Links {
			fmt.Fprintf(&b, "    %s --- %s\n", id("vpn:"+c.Name+":"+l.A), id("vpn:"+c.Name+":"+l.B))
		}
		b.WriteString("  end\n")
		for _, mb := range c.Members {
			fmt.Fprintf(&b, "  %s -.- %s\n", id("node:"+mb.Node), id("vpn:"+c.Name+":"+mb.Node))
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
