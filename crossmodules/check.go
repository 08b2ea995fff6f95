package crossmodules

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/nixmesh/nixmesh/eval"
)

// Check runs the cross-host checks on an evaluated network: the important checks of the
// Nix modules again (so that a plan from elsewhere, or a module that bypassed them, is
// caught, and both sides agree on what is wrong), plus checks that every host's
// configuration really carries what the features declared (a host module may have
// overridden it). Problems come sorted by path; a plan whose network part cannot be
// decoded is one problem about `plan.network`.
func Check(n *eval.Network) []Problem {
	m, err := Decode(n)
	if err != nil {
		return []Problem{{Path: "plan.network", Message: err.Error()}}
	}
	return m.Check()
}

// Check runs the checks of the package-level Check on a decoded model.
func (m *Model) Check() []Problem {
	var ps []Problem
	ps = append(ps, m.checkSSH()...)
	ps = append(ps, m.checkVPN()...)
	ps = append(ps, m.checkDNS()...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	return ps
}

func (m *Model) isNode(name string) bool {
	_, ok := m.Network.Nodes[name]
	return ok
}

func (m *Model) nodeList() string {
	names := m.Network.Names()
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// --- SSH ------------------------------------------------------------------------------

var userName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*[$]?$`)

func (m *Model) checkSSH() []Problem {
	var ps []Problem
	for _, host := range sortedKeys(m.SSH.Access) {
		if !m.isNode(host) {
			ps = append(ps, newProblem(m.SSH.Access[host].Files,
				fmt.Sprintf("names no node (nodes: %s). SSH access is declared per node: use a node's name, or add `nodes.%s'.", m.nodeList(), host),
				"ssh", "access", host))
		}
	}
	for _, g := range m.SSH.Grants() {
		path := []string{"ssh", "access", g.Source, "keys", g.Key, "hasAccessTo", g.Target}
		switch {
		case !m.isNode(g.Target):
			ps = append(ps, newProblem(g.Files, fmt.Sprintf("grants access to `%s', which is no node (nodes: %s).", g.Target, m.nodeList()), path...))
		case !userName.MatchString(g.User):
			ps = append(ps, newProblem(g.Files, fmt.Sprintf("`%s' is not a valid user name (letters, digits, `_', `-', `.'; not starting with a digit or `-').", g.User), append(path, g.User)...))
		case len(m.SSH.Access[g.Target].HostKeys) == 0:
			ps = append(ps, newProblem(g.Files, fmt.Sprintf("host `%s' is granted access to host `%s', but `%s' has no host keys, so `%s' could not verify it. Set `ssh.access.%s.hostKeys'.", g.Source, g.Target, g.Target, g.Source, g.Target), append(path, g.User)...))
		case m.isNode(g.Source):
			ps = append(ps, m.checkGrantApplied(g)...)
		}
	}
	return ps
}

// checkGrantApplied verifies the grant in the hosts' configurations.
func (m *Model) checkGrantApplied(g Grant) []Problem {
	var ps []Problem
	target := m.Network.Nodes[g.Target].Configuration
	if !contains(target.Users.Users[g.User].OpenSSH.AuthorizedKeys.Keys, g.PublicKey) {
		ps = append(ps, newProblem(nil,
			fmt.Sprintf("lacks the key `%s' of host `%s', which `ssh.access.%s.keys.%s.hasAccessTo.%s.%s' grants; a module of node `%s' overrides the list (e.g. with mkForce).", g.Key, g.Source, g.Source, g.Key, g.Target, g.User, g.Target),
			"nodes", g.Target, "configuration", "users", "users", g.User, "openssh", "authorizedKeys", "keys"))
	}
	source := m.Network.Nodes[g.Source].Configuration
	for _, keyName := range sortedKeys(m.SSH.Access[g.Target].HostKeys) {
		key := m.SSH.Access[g.Target].HostKeys[keyName]
		found := false
		for _, kh := range source.Programs.SSH.KnownHosts {
			if kh.PublicKey != nil && *kh.PublicKey == key && (contains(kh.HostNames, g.Target) || contains(kh.HostNames, "["+g.Target+"]:"+fmt.Sprint(m.Network.Nodes[g.Target].Port))) {
				found = true
				break
			}
		}
		if !found {
			ps = append(ps, newProblem(nil,
				fmt.Sprintf("has no entry with host key `%s' of `%s' under the name `%s', though `%s' is granted access to it; a module of node `%s' overrides the known hosts.", keyName, g.Target, g.Target, g.Source, g.Source),
				"nodes", g.Source, "configuration", "programs", "ssh", "knownHosts"))
		}
	}
	return ps
}

// --- VPN ------------------------------------------------------------------------------

func (m *Model) checkVPN() []Problem {
	var ps []Problem
	type use struct {
		net, iface string
		port       int
		files      []string
		netFiles   []string
	}
	perNode := map[string][]use{}
	for _, net := range sortedKeys(m.VPN.Networks) {
		n := m.VPN.Networks[net]
		ps = append(ps, m.checkNetwork(net, n)...)
		for _, name := range sortedKeys(n.Members) {
			perNode[name] = append(perNode[name], use{net, n.Interface, n.Members[name].ListenPort, n.Members[name].Files, n.Files})
		}
	}
	for _, node := range sortedKeys(perNode) {
		us := perNode[node]
		for i, u := range us {
			for _, e := range us[:i] {
				if e.iface == u.iface {
					ps = append(ps, newProblem(u.netFiles, fmt.Sprintf("is %s on node `%s', as in `vpn.networks.%s' on the same node. Two networks on one host need different interface names: set `vpn.networks.%s.interface'.", u.iface, node, e.net, u.net), "vpn", "networks", u.net, "interface"))
					break
				}
			}
			for _, e := range us[:i] {
				if e.port == u.port {
					ps = append(ps, newProblem(u.files, fmt.Sprintf("is %d on node `%s', as in `vpn.networks.%s' on the same node. Two networks on one host need different ports: set `vpn.networks.%s.listenPort' (or the member's `listenPort').", u.port, node, e.net, u.net), "vpn", "networks", u.net, "members", node, "listenPort"))
					break
				}
			}
		}
	}
	return ps
}

func (m *Model) checkNetwork(net string, n VPNNetwork) []Problem {
	var ps []Problem
	names := sortedKeys(n.Members)
	member := func(name string, rest ...string) []string {
		return append([]string{"vpn", "networks", net, "members", name}, rest...)
	}
	for _, name := range names {
		if !m.isNode(name) {
			ps = append(ps, newProblem(n.Members[name].Files, fmt.Sprintf("names no node (nodes: %s). Members are nodes: use a node's name, or add `nodes.%s'.", m.nodeList(), name), member(name)...))
		}
	}
	switch n.Topology {
	case "star":
		switch {
		case n.Server == "":
			ps = append(ps, newProblem(n.Files, fmt.Sprintf("is null, but `vpn.networks.%s.topology' is \"star\", which needs a server.", net), "vpn", "networks", net, "server"))
		case !contains(names, n.Server):
			ps = append(ps, newProblem(n.Files, fmt.Sprintf("is %q, which is not a member of `vpn.networks.%s' (members: %s).", n.Server, net, strings.Join(names, ", ")), "vpn", "networks", net, "server"))
		case n.Members[n.Server].Endpoint == "":
			ps = append(ps, newProblem(n.Members[n.Server].Files, fmt.Sprintf("is null, but `%s' is the server of the star `vpn.networks.%s': no client could reach it.", n.Server, net), member(n.Server, "endpoint")...))
		}
	case "mesh":
		if n.Server != "" {
			ps = append(ps, newProblem(n.Files, fmt.Sprintf("is %q, but `vpn.networks.%s.topology' is \"mesh\", which has no server.", n.Server, net), "vpn", "networks", net, "server"))
		}
		reachable := false
		for _, name := range names {
			reachable = reachable || n.Members[name].Endpoint != ""
		}
		if len(names) > 1 && !reachable {
			for _, name := range names {
				ps = append(ps, newProblem(n.Members[name].Files, fmt.Sprintf("is null, and no other member of the mesh `vpn.networks.%s' has an endpoint either, so nobody can reach `%s'.", net, name), member(name, "endpoint")...))
			}
		}
	default:
		ps = append(ps, newProblem(n.Files, fmt.Sprintf("is %q; the topologies are \"star\" and \"mesh\".", n.Topology), "vpn", "networks", net, "topology"))
	}

	prefix, err := netip.ParsePrefix(n.Subnet)
	if err != nil || prefix.Masked() != prefix {
		return append(ps, newProblem(n.Files, fmt.Sprintf("is %q, not a network in CIDR notation with the host bits zero.", n.Subnet), "vpn", "networks", net, "subnet"))
	}
	first := prefix.Addr()
	last := lastAddr(prefix)
	seen := map[netip.Addr]string{}
	for _, name := range names {
		mb := n.Members[name]
		if mb.Address == "" {
			continue
		}
		a, err := netip.ParseAddr(mb.Address)
		path := member(name, "address")
		switch {
		case err != nil || !prefix.Contains(a):
			ps = append(ps, newProblem(mb.Files, fmt.Sprintf("is %s, outside the subnet %s of `vpn.networks.%s.subnet'.", mb.Address, n.Subnet, net), path...))
			continue
		case a == first:
			ps = append(ps, newProblem(mb.Files, fmt.Sprintf("is %s, the network address of %s, which no host may use.", mb.Address, n.Subnet), path...))
			continue
		case a.Is4() && a == last:
			ps = append(ps, newProblem(mb.Files, fmt.Sprintf("is %s, the broadcast address of %s, which no host may use.", mb.Address, n.Subnet), path...))
			continue
		}
		if other, dup := seen[a]; dup {
			ps = append(ps, newProblem(mb.Files, fmt.Sprintf("is %s, which `vpn.networks.%s.members.%s.address' also has. Every member needs its own address.", a, net, other), path...))
			continue
		}
		seen[a] = name
	}
	if len(ps) == 0 && n.Backend == "wireguard" {
		ps = append(ps, m.checkWireguardApplied(net, n, prefix)...)
	}
	return ps
}

// checkWireguardApplied verifies each member's interface: its address and exactly the
// peers the topology asks for.
func (m *Model) checkWireguardApplied(net string, n VPNNetwork, prefix netip.Prefix) []Problem {
	var ps []Problem
	want := map[string]map[string]bool{}
	for _, l := range n.Links() {
		for _, p := range [][2]string{{l.A, l.B}, {l.B, l.A}} {
			if want[p[0]] == nil {
				want[p[0]] = map[string]bool{}
			}
			want[p[0]][n.Members[p[1]].PublicKey+"|"+n.Members[p[1]].Address] = true
		}
	}
	for _, name := range sortedKeys(n.Members) {
		if !m.isNode(name) {
			continue
		}
		path := []string{"nodes", name, "configuration", "networking", "wireguard", "interfaces", n.Interface}
		iface, ok := m.Network.Nodes[name].Configuration.Networking.Wireguard.Interfaces[n.Interface]
		if !ok {
			ps = append(ps, newProblem(nil, fmt.Sprintf("is missing, though `%s' is a member of `vpn.networks.%s'.", name, net), path...))
			continue
		}
		addr := fmt.Sprintf("%s/%d", n.Members[name].Address, prefix.Bits())
		if !contains(iface.IPs, addr) {
			ps = append(ps, newProblem(nil, fmt.Sprintf("lacks the address %s of `%s' in `vpn.networks.%s'.", addr, name, net), append(path, "ips")...))
		}
		got := map[string]bool{}
		for _, p := range iface.Peers {
			for peer, mb := range n.Members {
				if peer != name && mb.PublicKey == p.PublicKey && peerAllows(p.AllowedIPs, mb.Address) {
					got[mb.PublicKey+"|"+mb.Address] = true
				}
			}
		}
		for k := range want[name] {
			if !got[k] {
				ps = append(ps, newProblem(nil, fmt.Sprintf("lacks the peer %s that the %s topology of `vpn.networks.%s' asks for.", strings.SplitN(k, "|", 2)[1], n.Topology, net), append(path, "peers")...))
			}
		}
	}
	return ps
}

func peerAllows(allowed []string, addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, s := range allowed {
		if p, err := netip.ParsePrefix(s); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for bit := 0; bit < 8; bit++ {
			if i*8+bit >= bits {
				b[i] |= 0x80 >> bit
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// --- DNS ------------------------------------------------------------------------------

var (
	label      = `([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)`
	zoneName   = regexp.MustCompile(`^(` + label + `[.])*` + label + `[.]?$`)
	recordName = regexp.MustCompile(`^([*][.])?(` + label + `[.])*` + label + `[.]?$`)
	txtString  = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

func normalise(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func validName(re *regexp.Regexp, name string) bool {
	return re.MatchString(name) && len(normalise(name)) <= 253
}

func (m *Model) checkDNS() []Problem {
	var ps []Problem
	d := m.DNS
	var zones []string
	for _, z := range sortedKeys(d.Zones) {
		zc := d.Zones[z]
		path := []string{"dns", "zones", z}
		if !validName(zoneName, z) {
			ps = append(ps, newProblem(zc.Files, "is not a valid zone name: labels of 1 to 63 letters, digits, `-' and `_' (not starting or ending with `-'), joined by dots, 253 characters at most.", path...))
			continue
		}
		zones = append(zones, z)
		switch {
		case zc.PrimaryNode == "":
			ps = append(ps, newProblem(zc.Files, fmt.Sprintf("is not set: zone `%s' needs a node to serve it.", z), append(path, "primaryNode")...))
		case !m.isNode(zc.PrimaryNode):
			ps = append(ps, newProblem(zc.Files, fmt.Sprintf("is %q, which is no node (nodes: %s).", zc.PrimaryNode, m.nodeList()), append(path, "primaryNode")...))
		case d.Addresses[zc.PrimaryNode] == "":
			ps = append(ps, newProblem(zc.Files, fmt.Sprintf("is null, but `%s' is the primary of zone `%s' and its `host' is not an IP address.", zc.PrimaryNode, z), "nodes", zc.PrimaryNode, "dns", "address"))
		}
		for _, s := range zc.SecondaryNodes {
			switch {
			case !m.isNode(s):
				ps = append(ps, newProblem(zc.Files, fmt.Sprintf("names %q, which is no node (nodes: %s).", s, m.nodeList()), append(path, "secondaryNodes")...))
			case s == zc.PrimaryNode:
				ps = append(ps, newProblem(zc.Files, fmt.Sprintf("names %q, the zone's primary.", s), append(path, "secondaryNodes")...))
			case d.Addresses[s] == "":
				ps = append(ps, newProblem(zc.Files, fmt.Sprintf("is null, but `%s' is a secondary of zone `%s' and its `host' is not an IP address.", s, z), "nodes", s, "dns", "address"))
			}
		}
	}
	// Longest zone first.
	sort.SliceStable(zones, func(i, j int) bool { return len(normalise(zones[i])) > len(normalise(zones[j])) })
	zoneOf := func(name string) string {
		for _, z := range zones {
			zn := normalise(z)
			if name == zn || strings.HasSuffix(name, "."+zn) {
				return z
			}
		}
		return ""
	}

	type rec struct {
		DNSRecord
		zone string
	}
	byName := map[string][]rec{}
	reported := map[string]bool{}
	for _, r := range d.Records {
		raw := r.Path[len(r.Path)-1]
		pathKey := ShowPath(r.Path...)
		if !validName(recordName, raw) {
			if !reported[pathKey] {
				reported[pathKey] = true
				ps = append(ps, newProblem(r.Files, "is not a valid domain name: labels of 1 to 63 letters, digits, `-' and `_' (not starting or ending with `-'), joined by dots, an optional leading `*.', 253 characters at most.", r.Path...))
			}
			continue
		}
		z := zoneOf(normalise(raw))
		if z == "" {
			if !reported[pathKey] {
				reported[pathKey] = true
				ps = append(ps, newProblem(r.Files, fmt.Sprintf("is in no zone of `dns.zones' (zones: %s).", strings.Join(zones, ", ")), r.Path...))
			}
			continue
		}
		if r.Type == "TXT" {
			for _, s := range txtString.FindAllStringSubmatch(r.Data, -1) {
				if n := len(unescapeTXT(s[1])); n > 255 {
					ps = append(ps, newProblem(r.Files, fmt.Sprintf("has a TXT string of %d bytes in the zone file; at most 255 fit one string.", n), append(r.Path, "TXT")...))
				}
			}
		}
		byName[r.Name] = append(byName[r.Name], rec{r, z})
	}
	for _, name := range sortedKeys(byName) {
		rs := byName[name]
		var cnames []rec
		var others []string
		for _, r := range rs {
			if r.Type == "CNAME" {
				cnames = append(cnames, r)
			} else if !contains(others, r.Type) {
				others = append(others, r.Type)
			}
		}
		if len(cnames) == 0 {
			continue
		}
		values := []string{}
		for _, c := range cnames {
			if !contains(values, c.Data) {
				values = append(values, c.Data)
			}
		}
		for _, z := range zones {
			if normalise(z) == name && !contains(others, "SOA") {
				others = append(others, "SOA")
			}
		}
		path := append(append([]string{}, cnames[0].Path...), "CNAME")
		switch {
		case len(values) > 1:
			ps = append(ps, newProblem(cnames[0].Files, fmt.Sprintf("has several values (%s) for `%s'; a name is an alias of one name only.", strings.Join(values, ", "), name), path...))
		case len(others) > 0:
			ps = append(ps, newProblem(cnames[0].Files, fmt.Sprintf("is set for `%s', which also has %s data. A CNAME must be the only data at its name (RFC 1034 3.6.2).", name, strings.Join(others, ", ")), path...))
		}
	}
	return ps
}

func unescapeTXT(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
