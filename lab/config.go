package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nixmesh/nixmesh/internal/command"
)

// Defaults.
const (
	DefaultName   = "default"
	DefaultSubnet = "198.18.0.0/24"
	// FirstHostOffset is the offset of host1's address in the subnet: host<i> is .10+i.
	FirstHostOffset = 10
)

// ErrNeedsRoot is returned when the lab is used without root.
var ErrNeedsRoot = errors.New("the local lab needs root: it creates network, mount and PID namespaces and a bridge (run it with sudo)")

// ErrSubnetOverlap is wrapped by the error of a subnet that overlaps a route of the machine.
var ErrSubnetOverlap = errors.New("lab subnet overlaps a route of this machine")

// ErrExists is wrapped by the error of Up for a lab that is already up (or left behind).
var ErrExists = errors.New("lab already exists")

// ErrNotFound is wrapped by the error of Open for a lab that has no state.
var ErrNotFound = errors.New("no such lab")

// HostSpec names one lab host. A zero Address is assigned by Up (.11, .12, ... in order).
type HostSpec struct {
	Name    string
	Address netip.Addr
	Port    int // sshd's port; 0 means 22
}

// Config describes a lab for Up.
type Config struct {
	Name     string       // "" means DefaultName; [a-z0-9][a-z0-9-]*, at most 32 characters
	Subnet   netip.Prefix // zero means DefaultSubnet; the operator (bridge) has its first address
	Hosts    []HostSpec   // at least one
	Parallel int          // hosts set up at once; 0 means 8
	// WriteNix, when set, is a file to write with each host's address and host key.
	WriteNix string
	// Progress, when set, receives one line per step ("host1: up (198.18.0.11)").
	Progress io.Writer
}

// NumberedHosts returns host1..hostN with addresses assigned by Up.
func NumberedHosts(n int) []HostSpec {
	hs := make([]HostSpec, n)
	for i := range hs {
		hs[i].Name = "host" + strconv.Itoa(i+1)
	}
	return hs
}

var (
	labNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	hostNameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// ValidateName checks a lab name.
func ValidateName(name string) error {
	if !labNameRe.MatchString(name) {
		return fmt.Errorf("invalid lab name %q: use lower-case letters, digits and '-', at most 32 characters", name)
	}
	return nil
}

// Check reports what is wrong with the configuration (a subnet too small for the hosts,
// a prefix length out of range, a host name or port no host can have), as normalize
// finds it, without changing c or anything on the machine: a caller can tell a mistake
// in what it was given from a failure to make the lab.
func (c Config) Check() error {
	c.Hosts = append([]HostSpec(nil), c.Hosts...)
	return c.normalize()
}

// normalize fills defaults, assigns addresses and checks the configuration. It changes
// nothing on the machine.
func (c *Config) normalize() error {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if err := ValidateName(c.Name); err != nil {
		return err
	}
	if !c.Subnet.IsValid() {
		c.Subnet = netip.MustParsePrefix(DefaultSubnet)
	}
	c.Subnet = c.Subnet.Masked()
	if !c.Subnet.Addr().Is4() {
		return fmt.Errorf("lab subnet %s: only IPv4 subnets are supported", c.Subnet)
	}
	if c.Subnet.Bits() > 29 || c.Subnet.Bits() < 8 {
		return fmt.Errorf("lab subnet %s: the prefix length must be between /8 and /29", c.Subnet)
	}
	if c.Parallel <= 0 {
		c.Parallel = 8
	}
	if len(c.Hosts) == 0 {
		return errors.New("a lab needs at least one host")
	}
	operator := c.Subnet.Addr().Next()
	broadcast := lastAddr(c.Subnet)
	names := map[string]bool{}
	addrs := map[netip.Addr]string{}
	hosts := make([]HostSpec, len(c.Hosts))
	copy(hosts, c.Hosts)
	for i := range hosts {
		h := &hosts[i]
		if !hostNameRe.MatchString(h.Name) {
			return fmt.Errorf("invalid lab host name %q: a host name is letters, digits and inner '-', at most 63 characters", h.Name)
		}
		if names[h.Name] {
			return fmt.Errorf("lab host %q is listed twice", h.Name)
		}
		names[h.Name] = true
		if h.Port == 0 {
			h.Port = 22
		}
		if h.Port < 1 || h.Port > 65535 {
			return fmt.Errorf("lab host %q: invalid port %d", h.Name, h.Port)
		}
		if !h.Address.IsValid() {
			a, ok := nthAddr(c.Subnet, FirstHostOffset+i+1)
			if !ok {
				return fmt.Errorf("lab subnet %s is too small for %d hosts", c.Subnet, len(hosts))
			}
			h.Address = a
		}
		switch {
		case !c.Subnet.Contains(h.Address):
			return fmt.Errorf("lab host %q: address %s is not in the lab subnet %s", h.Name, h.Address, c.Subnet)
		case h.Address == c.Subnet.Addr() || h.Address == broadcast:
			return fmt.Errorf("lab host %q: %s is the network or broadcast address of %s", h.Name, h.Address, c.Subnet)
		case h.Address == operator:
			return fmt.Errorf("lab host %q: %s is the operator's address on the lab bridge", h.Name, h.Address)
		}
		if other, dup := addrs[h.Address]; dup {
			return fmt.Errorf("lab hosts %q and %q have the same address %s", other, h.Name, h.Address)
		}
		addrs[h.Address] = h.Name
	}
	c.Hosts = hosts
	return nil
}

func nthAddr(p netip.Prefix, n int) (netip.Addr, bool) {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	r := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return r, p.Contains(r) && r != lastAddr(p)
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= (1 << (32 - p.Bits())) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// names of the things a lab creates in the root namespace.

func bridgeName(lab string) string {
	if n := "nmlab-" + lab; len(n) <= 15 {
		return n
	}
	return "nmlab-" + labHash(lab)[:9]
}

func vethName(lab string, index int) string { return fmt.Sprintf("nmv%s-%d", labHash(lab)[:6], index) }

// hostMAC is the MAC address of a host's eth0: locally administered, the same for the
// host at every boot (as a real NIC's), so that a neighbour's ARP entry stays right
// across `lab crash` and `lab boot`.
func hostMAC(lab string, index int) string {
	h := labHash(lab)
	return fmt.Sprintf("02:%s:%s:%s:%02x:%02x", h[0:2], h[2:4], h[4:6], (index>>8)&0xff, index&0xff)
}

func netnsName(lab, host string) string { return "nmlab-" + lab + "-" + host }

func labHash(lab string) string {
	s := sha256.Sum256([]byte(lab))
	return hex.EncodeToString(s[:])
}

// Route is one IPv4 route of the machine, as `ip route` shows it.
type Route struct {
	Prefix netip.Prefix
	Text   string // e.g. "192.0.2.0/24 dev eth0 (table main)"
}

// MachineRoutes lists the machine's IPv4 routes in all tables, except default routes.
func MachineRoutes(ctx context.Context) ([]Route, error) {
	out, err := command.Output(ctx, command.Cmd{Argv: []string{"ip", "-4", "-json", "route", "show", "table", "all"}})
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	var raw []struct {
		Type    string `json:"type"`
		Dst     string `json:"dst"`
		Dev     string `json:"dev"`
		Table   string `json:"table"`
		Gateway string `json:"gateway"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("parsing `ip -json route`: %w", err)
	}
	var routes []Route
	for _, r := range raw {
		if r.Dst == "" || r.Dst == "default" {
			continue
		}
		dst := r.Dst
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		p, err := netip.ParsePrefix(dst)
		if err != nil || p.Bits() == 0 {
			continue
		}
		text := r.Dst
		if r.Type != "" && r.Type != "unicast" {
			text = r.Type + " " + text
		}
		if r.Gateway != "" {
			text += " via " + r.Gateway
		}
		if r.Dev != "" {
			text += " dev " + r.Dev
		}
		if r.Table == "" {
			r.Table = "main"
		}
		text += " (table " + r.Table + ")"
		routes = append(routes, Route{Prefix: p.Masked(), Text: text})
	}
	return routes, nil
}

// ErrSubnetPublic is the error of a subnet outside the address ranges no Internet host has.
var ErrSubnetPublic = errors.New("lab subnet outside the private and reserved ranges")

// privateRanges are the IPv4 ranges a lab may take: no Internet host has an address in
// them, so a lab there hides nobody from this machine. Private use (RFC 1918), shared
// address space (RFC 6598), benchmarking (RFC 2544) and documentation (RFC 5737).
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
}

// CheckPrivate refuses a subnet that is not wholly inside one of privateRanges: the
// lab's bridge route would take this machine's traffic for those addresses.
func CheckPrivate(subnet netip.Prefix) error {
	for _, r := range privateRanges {
		if r.Bits() <= subnet.Bits() && r.Contains(subnet.Addr()) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s holds addresses that hosts outside use, and the lab would take this machine's traffic for them; "+
		"use a range of 198.18.0.0/15 (reserved for benchmarking; the default is %s) or a private one (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
		ErrSubnetPublic, subnet, DefaultSubnet)
}

// CheckSubnet refuses a subnet that overlaps a route of the machine, naming the routes.
func CheckSubnet(ctx context.Context, subnet netip.Prefix) error {
	routes, err := MachineRoutes(ctx)
	if err != nil {
		return err
	}
	var hits []string
	seen := map[string]bool{}
	for _, r := range routes {
		if r.Prefix.Overlaps(subnet) && !seen[r.Text] {
			seen[r.Text] = true
			hits = append(hits, r.Text)
		}
	}
	if len(hits) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s overlaps %s; choose another --subnet (198.18.0.0/15 is reserved for tests)",
		ErrSubnetOverlap, subnet, strings.Join(hits, ", "))
}

// Node is a deployment node as the lab sees it: its name and its SSH host and port
// (plan.nodes.<name>.hostname and .port, docs/internals.md).
type Node struct {
	Name     string
	Hostname string
	Port     int
}

// HostsInSubnet returns the nodes whose hostname is an address in subnet, as lab hosts
// sorted by name, and the names of the other nodes (outside the lab), sorted.
func HostsInSubnet(nodes []Node, subnet netip.Prefix) (hosts []HostSpec, outside []string) {
	subnet = subnet.Masked()
	for _, n := range nodes {
		a, err := netip.ParseAddr(n.Hostname)
		if err != nil || !subnet.Contains(a) {
			outside = append(outside, n.Name)
			continue
		}
		hosts = append(hosts, HostSpec{Name: n.Name, Address: a, Port: n.Port})
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Name < hosts[j].Name })
	sort.Strings(outside)
	return hosts, outside
}
