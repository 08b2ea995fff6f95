// Package verify proves the declared cross-host features on the running fleet, changing
// nothing (`nixmesh verify`). Every probe runs on the hosts themselves, through the
// caller's Run (the CLI: the deploy engine's SSH transport):
//
//	ssh  per grant (key K of host S may log in as U on T): T presents a host key that S's
//	     known hosts hold for T (ssh-keyscan on S against ssh-keygen -F on S), and sshd on
//	     T reads K from one of U's authorized keys files (the health check's script).
//	vpn  per direct peering of a WireGuard network (a, b): a pings b's VPN address and b
//	     pings a's, and each has a handshake with the other's public key.
//	dns  per record, from the zone's primary: every server of the zone (primary and
//	     secondaries) answers it with the declared data; per zone, all servers answer the
//	     SOA with one serial, the declared one.
package verify

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/nixmesh/nixmesh/crossmodules"
	"github.com/nixmesh/nixmesh/internal/natural"
	"github.com/nixmesh/nixmesh/nix-modules/modules/health"
)

// Result is one probed edge.
type Result struct {
	Feature  string `json:"feature"` // ssh, vpn, dns
	Edge     string `json:"edge"`
	OK       bool   `json:"ok"`
	Evidence string `json:"evidence"`
}

// Run runs a shell script as root on a node, with args ($1...), and returns its stdout;
// a non-zero exit is an error (with the output so far).
type Run func(ctx context.Context, node, script string, args ...string) (string, error)

// Options select what is verified.
type Options struct {
	// Nodes limits the probes to edges with at least one end among them; empty: all.
	Nodes []string
}

// Verify probes every declared edge and returns the results, sorted by feature and edge.
func Verify(ctx context.Context, m *crossmodules.Model, run Run, o Options) []Result {
	selected := map[string]bool{}
	for _, n := range o.Nodes {
		selected[n] = true
	}
	involves := func(nodes ...string) bool {
		if len(selected) == 0 {
			return true
		}
		for _, n := range nodes {
			if selected[n] {
				return true
			}
		}
		return false
	}
	v := &verifier{m: m, run: run}
	var (
		mu      sync.Mutex
		results []Result
		wg      sync.WaitGroup
	)
	add := func(rs ...Result) {
		mu.Lock()
		results = append(results, rs...)
		mu.Unlock()
	}
	for _, g := range m.SSH.Grants() {
		if involves(g.Source, g.Target) {
			wg.Add(1)
			go func() { defer wg.Done(); add(v.grant(ctx, g)) }()
		}
	}
	for net, n := range m.VPN.Networks {
		if n.Backend != "" && n.Backend != "wireguard" {
			continue
		}
		for _, l := range n.Links() {
			if involves(l.A, l.B) {
				wg.Add(1)
				go func() { defer wg.Done(); add(v.link(ctx, net, n, l)) }()
			}
		}
	}
	for key, z := range m.DNS.Zones {
		if involves(append([]string{z.PrimaryNode}, z.SecondaryNodes...)...) {
			wg.Add(1)
			go func() { defer wg.Done(); add(v.zone(ctx, key, z)...) }()
		}
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool {
		if results[i].Feature != results[j].Feature {
			return results[i].Feature < results[j].Feature
		}
		return natural.Less(results[i].Edge, results[j].Edge)
	})
	return results
}

type verifier struct {
	m   *crossmodules.Model
	run Run
}

func (v *verifier) node(name string) (host string, port int) {
	if n, ok := v.m.Network.Nodes[name]; ok {
		return n.Hostname, n.Port
	}
	return name, 22
}

// ---- ssh ----------------------------------------------------------------------------

// keyscanScript prints the target's host keys as the source sees them (ssh-keyscan),
// then a line "---", then what the source's known hosts hold for the names given.
const keyscanScript = `addr=$1 port=$2
shift 2
ssh-keyscan -T 5 -p "$port" "$addr" 2>/dev/null
echo ---
for name in "$@"; do
  ssh-keygen -F "$name" -f /etc/ssh/ssh_known_hosts 2>/dev/null | grep -v '^#'
done
exit 0
`

func (v *verifier) grant(ctx context.Context, g crossmodules.Grant) Result {
	r := Result{Feature: "ssh", Edge: fmt.Sprintf("%s (key %s) -> %s@%s", g.Source, g.Key, g.User, g.Target)}
	addr, port := v.node(g.Target)
	names := []string{g.Target, addr}
	if port != 22 {
		names = []string{fmt.Sprintf("[%s]:%d", g.Target, port), fmt.Sprintf("[%s]:%d", addr, port)}
	}
	out, err := v.run(ctx, g.Source, keyscanScript, append([]string{addr, strconv.Itoa(port)}, names...)...)
	if err != nil {
		r.Evidence = fmt.Sprintf("on %s: %v", g.Source, err)
		return r
	}
	scanned, known, _ := strings.Cut(out, "---")
	offered, trusted := keyBlobs(scanned), keyBlobs(known)
	match := ""
	for _, b := range offered {
		for _, t := range trusted {
			if b == t {
				match = b
			}
		}
	}
	switch {
	case len(offered) == 0:
		r.Evidence = fmt.Sprintf("%s cannot reach %s's sshd at %s port %d", g.Source, g.Target, addr, port)
		return r
	case len(trusted) == 0:
		r.Evidence = fmt.Sprintf("%s's known hosts hold no key for %s", g.Source, g.Target)
		return r
	case match == "":
		r.Evidence = fmt.Sprintf("%s presents host keys that %s's known hosts do not hold for it", g.Target, g.Source)
		return r
	}
	out, err = v.run(ctx, g.Target, health.SSHScript, g.User, g.PublicKey)
	if err != nil {
		r.Evidence = fmt.Sprintf("host key ok; on %s: %s", g.Target, lastLine(out, err))
		return r
	}
	r.OK = true
	r.Evidence = fmt.Sprintf("%s's host key is known to %s; %s", g.Target, g.Source, lastLine(out, nil))
	return r
}

// keyBlobs returns the base64 key fields of known_hosts-shaped lines (NAMES TYPE KEY).
func keyBlobs(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && !strings.HasPrefix(f[0], "#") {
			out = append(out, f[2])
		}
	}
	return out
}

// ---- vpn ----------------------------------------------------------------------------

// wgScript pings PEER-ADDRESS over the interface (up to five rounds of two, about 20
// seconds, so that a busy host, whose userspace WireGuard may stall for seconds, is not
// taken for a broken link; a working link answers the first) and prints "ping ok|fail"
// and "handshake SECONDS-AGO" (-1: none) for PEER-KEY.
const wgScript = `iface=$1 addr=$2 key=$3
ok=
for try in 1 2 3 4 5; do
  if ping -c 2 -W 2 "$addr" >/dev/null 2>&1; then ok=1; break; fi
done
if [ -n "$ok" ]; then echo "ping ok"; else echo "ping fail"; fi
now=$(date +%s)
ts=$(wg show "$iface" latest-handshakes 2>/dev/null | awk -v k="$key" '$1 == k { print $2 }')
if [ -n "$ts" ] && [ "$ts" -gt 0 ]; then echo "handshake $((now - ts))"; else echo "handshake -1"; fi
`

func (v *verifier) link(ctx context.Context, net string, n crossmodules.VPNNetwork, l crossmodules.Link) Result {
	r := Result{Feature: "vpn", Edge: fmt.Sprintf("%s: %s <-> %s", net, l.A, l.B)}
	a, b := n.Members[l.A], n.Members[l.B]
	type side struct {
		from, to string
		out      string
		err      error
	}
	sides := []*side{{from: l.A, to: l.B}, {from: l.B, to: l.A}}
	var wg sync.WaitGroup
	for _, s := range sides {
		peer := b
		if s.from == l.B {
			peer = a
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.out, s.err = v.run(ctx, s.from, wgScript, n.Interface, hostOf(peer.Address), peer.PublicKey)
		}()
	}
	wg.Wait()
	ok := true
	var evidence []string
	for _, s := range sides {
		if s.err != nil {
			ok = false
			evidence = append(evidence, fmt.Sprintf("%s: %v", s.from, s.err))
			continue
		}
		ping := strings.Contains(s.out, "ping ok")
		ago := -1
		for _, line := range strings.Split(s.out, "\n") {
			if rest, found := strings.CutPrefix(line, "handshake "); found {
				ago, _ = strconv.Atoi(strings.TrimSpace(rest))
			}
		}
		part := s.from + "->" + s.to + " ping "
		if ping {
			part += "ok"
		} else {
			part += "failed"
			ok = false
		}
		if ago >= 0 {
			part += fmt.Sprintf(", handshake %ds ago", ago)
		} else {
			part += ", no handshake with " + s.to + "'s key"
			ok = false
		}
		evidence = append(evidence, part)
	}
	r.OK, r.Evidence = ok, strings.Join(evidence, "; ")
	return r
}

// hostOf drops a prefix length ("10.77.0.2/24" -> "10.77.0.2").
func hostOf(addr string) string {
	h, _, _ := strings.Cut(addr, "/")
	return h
}

// ---- dns ----------------------------------------------------------------------------

// digScript takes queries as arguments, three at a time (SERVER NAME TYPE), and prints
// one block per query: "== SERVER NAME TYPE", the answer lines (dig +short), and
// "== rc N". Without dig it says so and exits 3.
const digScript = `command -v dig >/dev/null 2>&1 || { echo "no dig on this host"; exit 3; }
while [ $# -ge 3 ]; do
  echo "== $1 $2 $3"
  dig +short +norecurse +time=2 +tries=2 @"$1" "$2" "$3" 2>&1
  echo "== rc $?"
  shift 3
done
`

func (v *verifier) zone(ctx context.Context, key string, z crossmodules.DNSZone) []Result {
	servers := append([]string{z.PrimaryNode}, z.SecondaryNodes...)
	addrOf := map[string]string{}
	var args []string
	for _, s := range servers {
		addr := v.m.DNS.Addresses[s]
		if addr == "" {
			addr, _ = v.node(s)
		}
		addrOf[s] = addr
		args = append(args, addr, z.Name, "SOA")
	}
	var records []crossmodules.DNSRecord
	for _, rec := range v.m.DNS.Records {
		if rec.Zone == key || rec.Zone == z.Name {
			records = append(records, rec)
		}
	}
	for _, rec := range records {
		for _, s := range servers {
			args = append(args, addrOf[s], rec.Name, rec.Type)
		}
	}
	out, err := v.run(ctx, z.PrimaryNode, digScript, args...)
	if err != nil {
		return []Result{{Feature: "dns", Edge: z.Name + " (all records)", Evidence: fmt.Sprintf("cannot ask from %s: %s", z.PrimaryNode, lastLine(out, err))}}
	}
	answers := parseDig(out)
	// The SOA serials.
	soa := Result{Feature: "dns", Edge: z.Name + " SOA serial"}
	var serials []string
	same := true
	for _, s := range servers {
		serial := ""
		if f := strings.Fields(strings.Join(answers[addrOf[s]+" "+z.Name+" SOA"], " ")); len(f) >= 3 {
			serial = f[2]
		}
		if serial != strconv.FormatInt(z.Serial, 10) {
			same = false
		}
		serials = append(serials, fmt.Sprintf("%s %s", s, orNone(serial)))
	}
	soa.OK = same
	soa.Evidence = fmt.Sprintf("want %d: %s", z.Serial, strings.Join(serials, ", "))
	results := []Result{soa}
	for _, rec := range records {
		r := Result{Feature: "dns", Edge: fmt.Sprintf("%s %s %s", rec.Name, rec.Type, rec.Data)}
		r.OK = true
		var bad []string
		for _, s := range servers {
			got := answers[addrOf[s]+" "+rec.Name+" "+rec.Type]
			if !answerHas(got, rec.Data, z.Name) {
				r.OK = false
				bad = append(bad, fmt.Sprintf("%s answers %q", s, strings.Join(got, " | ")))
			}
		}
		if r.OK {
			r.Evidence = "answered by " + strings.Join(servers, ", ")
		} else {
			r.Evidence = strings.Join(bad, "; ")
		}
		results = append(results, r)
	}
	return results
}

// parseDig reads digScript's output: "SERVER NAME TYPE" -> answer lines.
func parseDig(out string) map[string][]string {
	answers := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "== "); ok {
			if strings.HasPrefix(rest, "rc ") {
				cur = ""
			} else {
				cur = rest
				answers[cur] = nil
			}
			continue
		}
		if cur != "" && strings.TrimSpace(line) != "" && !strings.HasPrefix(line, ";") {
			answers[cur] = append(answers[cur], strings.TrimSpace(line))
		}
	}
	return answers
}

// answerHas reports whether one of the answer lines is the declared data: word by word,
// names compared without case and with relative names completed by the zone, addresses
// by value.
func answerHas(lines []string, data, zone string) bool {
	want := strings.Fields(data)
	for _, line := range lines {
		got := strings.Fields(line)
		if len(got) != len(want) {
			continue
		}
		same := true
		for i := range want {
			if !sameWord(got[i], want[i], zone) {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func sameWord(got, want, zone string) bool {
	if strings.EqualFold(got, want) {
		return true
	}
	if a, err := netip.ParseAddr(got); err == nil {
		if b, err := netip.ParseAddr(want); err == nil {
			return a == b
		}
	}
	g := strings.ToLower(strings.TrimSuffix(got, "."))
	w := strings.ToLower(want)
	if strings.HasSuffix(w, ".") {
		return g == strings.TrimSuffix(w, ".")
	}
	if w == "@" {
		return g == strings.ToLower(zone)
	}
	return g == w || g == w+"."+strings.ToLower(zone)
}

func orNone(s string) string {
	if s == "" {
		return "(no answer)"
	}
	return s
}

// lastLine is the end of a probe's output and its error.
func lastLine(out string, err error) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	switch {
	case err == nil:
		return last
	case last == "":
		return err.Error()
	}
	return last + " (" + err.Error() + ")"
}
