package modulestests

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand"
	"net/netip"
	"sort"
)

// A generated network: the user module as JSON-able maps (spec), plus what the test
// needs to know about it without asking the modules.
type generated struct {
	spec  map[string]any
	nodes []string
	hosts map[string]string // node -> address in `host`
	ports map[string]int    // node -> SSH port
	// SSH
	hostKeys  map[string]map[string]string // node -> key name -> public key
	hostNames map[string][]string
	grants    []grant
	// VPN
	nets map[string]*genNet
	// DNS
	zones   map[string]genZone
	records []genRecord
}

type grant struct{ source, key, publicKey, target, user string }

type genNet struct {
	name, subnet, topology, server string
	members                        map[string]*genMember
}

type genMember struct {
	publicKey string
	address   string // "" = assigned
	endpoint  *string
}

type genZone struct {
	primary     string
	secondaries []string
}

type genRecord struct {
	owner      string // "" = dns.records
	name, typ  string
	value      string // as declared
	renderData string // as in the zone file
}

func randomKey(r *rand.Rand, n int) string {
	b := make([]byte, n)
	r.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// randomSSHKey is an OpenSSH public key blob of type typ in the wire format (the type
// name, then keyLen random bytes, each length-prefixed), so that it passes the check
// that a blob begins with its own type.
func randomSSHKey(r *rand.Rand, typ string, keyLen int) string {
	key := make([]byte, keyLen)
	r.Read(key)
	return sshKey(typ, key)
}

// randomRSAKey is an RSA public key as OpenSSH writes it (exponent 65537, a 1024-bit
// modulus of random bytes): the modules refuse shorter RSA blobs.
func randomRSAKey(r *rand.Rand) string {
	n := make([]byte, 129) // a leading zero byte keeps the mpint positive
	r.Read(n[1:])
	n[1] |= 0x80
	return sshKey("ssh-rsa", []byte{1, 0, 1}, n)
}

// sshKey is "TYPE BASE64" for the key's fields, in OpenSSH's wire format.
func sshKey(typ string, fields ...[]byte) string {
	var b []byte
	for _, part := range append([][]byte{[]byte(typ)}, fields...) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	return typ + " " + base64.StdEncoding.EncodeToString(b)
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.Intn(len(list))] }

func subset(r *rand.Rand, list []string, min int) []string {
	var out []string
	for _, x := range list {
		if r.Intn(2) == 0 {
			out = append(out, x)
		}
	}
	for len(out) < min {
		x := pick(r, list)
		if !containsStr(out, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// generate makes a valid random network from a seed: 4 to 11 nodes, SSH keys and grants
// (to nodes with host keys only), one or two VPNs (star or mesh, some addresses pinned,
// some members without endpoint) and DNS zones (nested ones included) with records of
// several types, some declared by nodes.
func generate(seed int64) *generated {
	r := rand.New(rand.NewSource(seed))
	g := &generated{
		hosts: map[string]string{}, ports: map[string]int{}, hostKeys: map[string]map[string]string{},
		hostNames: map[string][]string{}, nets: map[string]*genNet{}, zones: map[string]genZone{},
	}
	n := 4 + r.Intn(8)
	nodes := map[string]any{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("h%d", i)
		g.nodes = append(g.nodes, name)
		g.hosts[name] = fmt.Sprintf("198.18.%d.%d", i/200, 1+i%200)
		g.ports[name] = 22
		node := map[string]any{"host": "root@" + g.hosts[name]}
		// Grants go to root, alice and bob; nixmesh never creates a user, so every node
		// declares the two that NixOS does not (root it declares itself).
		node["configuration"] = map[string]any{"users": map[string]any{"users": map[string]any{
			"alice": map[string]any{"isNormalUser": true},
			"bob":   map[string]any{"isSystemUser": true, "group": "users"},
		}}}
		if r.Intn(5) == 0 {
			g.ports[name] = 2200 + i
			node["port"] = g.ports[name]
		}
		nodes[name] = node
	}
	sort.Strings(g.nodes)

	// SSH
	access := map[string]any{}
	for _, h := range g.nodes {
		a := map[string]any{}
		if r.Intn(4) != 0 {
			keys := map[string]string{"ed25519": randomSSHKey(r, "ssh-ed25519", 32)}
			if r.Intn(3) == 0 {
				keys["rsa"] = randomRSAKey(r)
			}
			g.hostKeys[h] = keys
			a["hostKeys"] = keys
		}
		if r.Intn(3) == 0 {
			g.hostNames[h] = []string{h + ".example.org"}
			a["hostNames"] = g.hostNames[h]
		}
		if len(a) > 0 {
			access[h] = a
		}
	}
	var withKeys []string
	for _, h := range g.nodes {
		if g.hostKeys[h] != nil {
			withKeys = append(withKeys, h)
		}
	}
	users := []string{"root", "alice", "bob"}
	for _, h := range g.nodes {
		if len(withKeys) == 0 || r.Intn(3) == 0 {
			continue
		}
		keys := map[string]any{}
		for k := 0; k < 1+r.Intn(2); k++ {
			keyName := fmt.Sprintf("k%d", k)
			pub := fmt.Sprintf("%s %s@%s", randomSSHKey(r, "ssh-ed25519", 32), keyName, h)
			has := map[string]any{}
			for _, t := range subset(r, withKeys, 1) {
				us := map[string]any{}
				for _, u := range subset(r, users, 1) {
					granted := r.Intn(5) != 0
					us[u] = granted
					if granted {
						g.grants = append(g.grants, grant{h, keyName, pub, t, u})
					}
				}
				has[t] = us
			}
			keys[keyName] = map[string]any{"publicKey": pub, "hasAccessTo": has}
		}
		a, _ := access[h].(map[string]any)
		if a == nil {
			a = map[string]any{}
			access[h] = a
		}
		a["keys"] = keys
	}

	// VPN
	networks := map[string]any{}
	for i := 0; i < 1+r.Intn(2); i++ {
		name := fmt.Sprintf("net%d", i)
		gn := &genNet{name: name, subnet: fmt.Sprintf("10.%d.0.0/16", 60+i), topology: pick(r, []string{"star", "mesh"}), members: map[string]*genMember{}}
		if r.Intn(3) == 0 {
			gn.subnet = fmt.Sprintf("fd%02x::/64", 10+i)
		}
		prefix := netip.MustParsePrefix(gn.subnet)
		members := map[string]any{}
		names := subset(r, g.nodes, 2)
		used := map[string]bool{}
		for j, m := range names {
			gm := &genMember{publicKey: randomKey(r, 32)}
			spec := map[string]any{"publicKey": gm.publicKey}
			if r.Intn(3) == 0 {
				a := prefix.Addr()
				for k := 0; k < 10+j; k++ {
					a = a.Next()
				}
				gm.address = a.String()
				used[gm.address] = true
				spec["address"] = gm.address
			}
			if r.Intn(3) == 0 {
				gm.endpoint = nil
				spec["endpoint"] = nil
			} else {
				ep := fmt.Sprintf("%s:%d", g.hosts[m], 51820+i)
				gm.endpoint = &ep
			}
			gn.members[m] = gm
			members[m] = spec
		}
		net := map[string]any{"subnet": gn.subnet, "topology": gn.topology, "listenPort": 51820 + i}
		if gn.topology == "star" {
			gn.server = pick(r, names)
			net["server"] = gn.server
			if gn.members[gn.server].endpoint == nil { // the server needs one
				ep := fmt.Sprintf("%s:%d", g.hosts[gn.server], 51820+i)
				gn.members[gn.server].endpoint = &ep
				delete(members[gn.server].(map[string]any), "endpoint")
			}
		} else {
			first := names[0]
			if gn.members[first].endpoint == nil { // someone must be reachable
				ep := fmt.Sprintf("%s:%d", g.hosts[first], 51820+i)
				gn.members[first].endpoint = &ep
				delete(members[first].(map[string]any), "endpoint")
			}
		}
		net["members"] = members
		networks[name] = net
		g.nets[name] = gn
	}

	// DNS
	zoneNames := []string{"example.test", "sub.example.test", "other.test"}
	zones := map[string]any{}
	for _, z := range zoneNames {
		zs := genZone{primary: pick(r, g.nodes)}
		for _, s := range g.nodes {
			if s != zs.primary && r.Intn(4) == 0 {
				zs.secondaries = append(zs.secondaries, s)
			}
		}
		g.zones[z] = zs
		zones[z] = map[string]any{"primaryNode": zs.primary, "secondaryNodes": append([]string{}, zs.secondaries...)}
	}
	records := map[string]map[string][]any{}
	nodeRecords := map[string]map[string]map[string][]any{}
	add := func(owner, name, typ, value, data string) {
		g.records = append(g.records, genRecord{owner, name, typ, value, data})
		target := records
		if owner != "" {
			if nodeRecords[owner] == nil {
				nodeRecords[owner] = map[string]map[string][]any{}
			}
			target = nodeRecords[owner]
		}
		if target[name] == nil {
			target[name] = map[string][]any{}
		}
		target[name][typ] = append(target[name][typ], value)
	}
	for i := 0; i < 5+r.Intn(25); i++ {
		zone := pick(r, zoneNames)
		name := fmt.Sprintf("r%d.%s", i, zone)
		owner := ""
		if r.Intn(4) == 0 {
			owner = pick(r, g.nodes)
		}
		switch r.Intn(4) {
		case 0:
			a := fmt.Sprintf("192.0.2.%d", 1+r.Intn(250))
			if r.Intn(3) == 0 { // points at a node
				a = g.hosts[pick(r, g.nodes)]
			}
			add(owner, name, "A", a, a)
		case 1:
			a := fmt.Sprintf("2001:db8::%x", 1+r.Intn(4000))
			add(owner, name, "AAAA", a, a)
		case 2:
			s := fmt.Sprintf("text %d for %s", r.Intn(1000), name)
			add(owner, name, "TXT", s, `"`+s+`"`)
		case 3:
			mx := fmt.Sprintf("%d mx%d.%s.", 10*r.Intn(5), i, zone)
			add(owner, name, "MX", mx, mx)
			// The mail server has an address (a target without one is an error).
			a := fmt.Sprintf("192.0.2.%d", 1+r.Intn(250))
			add("", fmt.Sprintf("mx%d.%s", i, zone), "A", a, a)
		}
	}

	spec := map[string]any{
		"nodes": nodes,
		"ssh":   map[string]any{"access": access},
		"vpn":   map[string]any{"networks": networks},
		"dns":   map[string]any{"zones": zones, "records": records},
	}
	for owner, recs := range nodeRecords {
		nodes[owner].(map[string]any)["dns"] = map[string]any{"records": recs}
	}
	g.spec = spec
	return g
}

// zoneOf is the longest zone of the generated network that the name falls in.
func (g *generated) zoneOf(name string) string {
	best := ""
	for z := range g.zones {
		if (name == z || len(name) > len(z) && name[len(name)-len(z)-1:] == "."+z) && len(z) > len(best) {
			best = z
		}
	}
	return best
}
