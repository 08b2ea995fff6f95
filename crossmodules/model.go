package crossmodules

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/nixmesh/nixmesh/eval"
)

// Model is the cross-host features of one evaluated deployment.
type Model struct {
	// Network is the plan the model was decoded from (nodes and their configurations).
	Network *eval.Network
	SSH     SSH
	VPN     VPN
	DNS     DNS
}

// SSH is plan.network.ssh: access declarations by node name.
type SSH struct {
	Access map[string]SSHAccess
}

// SSHAccess is ssh.access.<host>.
type SSHAccess struct {
	HostKeys  map[string]string `json:"hostKeys"`
	HostNames []string          `json:"hostNames"`
	Keys      map[string]SSHKey `json:"keys"`
	Files     []string          `json:"files"`
}

// SSHKey is ssh.access.<host>.keys.<key>.
type SSHKey struct {
	PublicKey   string                     `json:"publicKey"`
	HasAccessTo map[string]map[string]bool `json:"hasAccessTo"`
	Files       []string                   `json:"files"`
}

// DeclaredHostKeys is every node's declared host keys (ssh.access.<node>.hostKeys), as
// authorized_keys lines ordered by key name: what the SSH transport trusts besides
// known_hosts (deploy.SSHOptions.DeclaredHostKeys). Nodes without keys are left out.
func (s SSH) DeclaredHostKeys() map[string][]string {
	out := map[string][]string{}
	for node, a := range s.Access {
		for _, name := range sortedKeys(a.HostKeys) {
			out[node] = append(out[node], a.HostKeys[name])
		}
	}
	return out
}

// Grant is one `hasAccessTo.<Target>.<User> = true`: the key Key on host Source may log
// in as User on host Target.
type Grant struct {
	Source, Key, PublicKey, Target, User string
	Files                                []string
}

// Grants returns every granted access, sorted by source, key, target and user.
func (s SSH) Grants() []Grant {
	var gs []Grant
	for _, src := range sortedKeys(s.Access) {
		a := s.Access[src]
		for _, key := range sortedKeys(a.Keys) {
			k := a.Keys[key]
			for _, target := range sortedKeys(k.HasAccessTo) {
				users := k.HasAccessTo[target]
				for _, user := range sortedKeys(users) {
					if users[user] {
						gs = append(gs, Grant{Source: src, Key: key, PublicKey: k.PublicKey, Target: target, User: user, Files: k.Files})
					}
				}
			}
		}
	}
	return gs
}

// VPN is plan.network.vpn.
type VPN struct {
	Networks map[string]VPNNetwork `json:"networks"`
}

// VPNNetwork is vpn.networks.<net>.
type VPNNetwork struct {
	Backend             string               `json:"backend"`
	Subnet              string               `json:"subnet"`
	Topology            string               `json:"topology"` // "star" or "mesh"
	Server              string               `json:"server"`   // "" when null
	Interface           string               `json:"interface"`
	ListenPort          int                  `json:"listenPort"`
	PersistentKeepalive *int                 `json:"persistentKeepalive"`
	Members             map[string]VPNMember `json:"members"`
	Files               []string             `json:"files"`
}

// VPNMember is vpn.networks.<net>.members.<node>, with the address in use.
type VPNMember struct {
	// Address is the explicit or assigned address; "" when the Nix side could not assign
	// one (the network has problems).
	Address             string   `json:"address"`
	Assigned            bool     `json:"assigned"`
	PublicKey           string   `json:"publicKey"`
	PrivateKeyFile      string   `json:"privateKeyFile"`
	Endpoint            string   `json:"endpoint"` // "" when null
	ListenPort          int      `json:"listenPort"`
	PersistentKeepalive *int     `json:"persistentKeepalive"`
	Files               []string `json:"files"`
}

// Link is a pair of members of a VPN that peer directly, A < B.
type Link struct {
	A string `json:"a"`
	B string `json:"b"`
}

// Links returns the direct peerings of the network by its topology: star, the server
// with every other member; mesh, every pair of which at least one has an endpoint.
func (n VPNNetwork) Links() []Link {
	names := sortedKeys(n.Members)
	var links []Link
	for i, a := range names {
		for _, b := range names[i+1:] {
			var ok bool
			if n.Topology == "star" {
				ok = a == n.Server || b == n.Server
			} else {
				ok = n.Members[a].Endpoint != "" || n.Members[b].Endpoint != ""
			}
			if ok {
				links = append(links, Link{a, b})
			}
		}
	}
	return links
}

// DNS is plan.network.dns.
type DNS struct {
	// SerialsFile is dns.serialsFile ("" when null).
	SerialsFile string             `json:"serialsFile"`
	Zones       map[string]DNSZone `json:"zones"`
	// Records holds every record value, from dns.records and every node's dns.records.
	Records []DNSRecord `json:"records"`
	// Addresses is each node's dns.address ("" when null).
	Addresses map[string]string `json:"addresses"`
}

// DNSZone is dns.zones.<zone>; the map key is the zone's name as declared, Name its
// normalised form (lowercase, no trailing dot).
type DNSZone struct {
	Name           string   `json:"name"`
	PrimaryNode    string   `json:"primaryNode"`
	SecondaryNodes []string `json:"secondaryNodes"`
	TTL            int      `json:"ttl"`
	Serial         int64    `json:"serial"`
	ContentHash    string   `json:"contentHash"`
	Files          []string `json:"files"`
}

// DNSRecord is one value of dns.records.<name>.<Type> (or of a node's records).
type DNSRecord struct {
	Name  string   `json:"name"`  // normalised
	Type  string   `json:"type"`  // A, AAAA, ...
	TTL   *int     `json:"ttl"`   // nil: the zone's
	Data  string   `json:"data"`  // as written in the zone file
	Zone  string   `json:"zone"`  // the zone's key in Zones, "" when none matches
	Owner string   `json:"owner"` // the node whose records these are, "" for dns.records
	Path  []string `json:"path"`  // option path of the name, e.g. [dns records web.lab.test]
	Files []string `json:"files"`
}

// Decode reads the cross-host features of an evaluated network. Missing parts are empty.
func Decode(n *eval.Network) (*Model, error) {
	m := &Model{Network: n}
	if raw, ok := n.Network["ssh"]; ok && len(raw) > 0 {
		if err := json.Unmarshal(raw, &m.SSH.Access); err != nil {
			return nil, fmt.Errorf("plan.network.ssh: %w", err)
		}
	}
	if raw, ok := n.Network["vpn"]; ok && len(raw) > 0 {
		if err := json.Unmarshal(raw, &m.VPN); err != nil {
			return nil, fmt.Errorf("plan.network.vpn: %w", err)
		}
	}
	if raw, ok := n.Network["dns"]; ok && len(raw) > 0 {
		if err := json.Unmarshal(raw, &m.DNS); err != nil {
			return nil, fmt.Errorf("plan.network.dns: %w", err)
		}
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
