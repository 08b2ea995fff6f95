package deploy

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The lab guard. nixmesh's local lab hands out addresses from 198.18.0.0/15, the range
// RFC 2544 reserves for benchmarking: it must never be routed to the Internet. When a
// lab is down, its bridge and the bridge's route are gone, and a connection to a lab
// host would leave through the default route: to whatever network the machine sits on.
// The deployer refuses that before the first packet: a direct connection (SSH, a
// health check's tcp or http probe) to an address in the range whose best route is a
// default route (prefix length 0) fails at once, saying why. A deployment whose hosts
// really live in that range behind the default gateway sets NIXMESH_ALLOW_BENCHMARK_RANGE=1.

// AllowBenchmarkRangeEnv names the environment variable that lifts the lab guard.
const AllowBenchmarkRangeEnv = "NIXMESH_ALLOW_BENCHMARK_RANGE"

var (
	// guardedRange is the range the guard applies to (tests narrow or move it).
	guardedRange = netip.MustParsePrefix("198.18.0.0/15")
	// routeTable is where the kernel's IPv4 routes are read (tests give their own).
	routeTable = "/proc/net/route"
)

// errBenchmarkRange is the guard's refusal; it is final (connecting again cannot help).
type errBenchmarkRange struct{ addr netip.Addr }

func (e *errBenchmarkRange) Error() string {
	return fmt.Sprintf("%s is in %s (the lab's range) and only the default route leads there: is the lab down? (`nixmesh lab status`) Nothing was sent; %s=1 allows it",
		e.addr, guardedRange, AllowBenchmarkRangeEnv)
}

// directDialer is the dialer of every connection the deployer opens itself.
func directDialer() *net.Dialer { return &net.Dialer{Control: guardControl} }

// guardedHTTP is the client of http health checks: http.DefaultClient's transport with
// the guard in its dialer (a proxy from the environment is used as before).
var guardedHTTP = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: guardControl}
	t.DialContext = d.DialContext
	return &http.Client{Transport: t}
}()

// guardControl is a net.Dialer Control function: it runs after name resolution and
// before connect(2), with the numeric address.
func guardControl(network, address string, _ syscall.RawConn) error {
	return checkBenchmarkRoute(address)
}

// checkBenchmarkRoute refuses address (host:port, numeric) when the guard applies.
func checkBenchmarkRoute(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	ip = ip.Unmap()
	if !guardedRange.Contains(ip) || os.Getenv(AllowBenchmarkRangeEnv) == "1" {
		return nil
	}
	f, err := os.Open(routeTable)
	if err != nil {
		return nil // not Linux, or no procfs: nothing to judge by
	}
	defer f.Close()
	bits, found := bestRoute(f, ip)
	if found && bits == 0 {
		return &errBenchmarkRange{addr: ip}
	}
	return nil
}

// bestRoute reads a /proc/net/route table and returns the prefix length of the longest
// usable route to ip (found false: no route at all, and connect(2) fails by itself).
func bestRoute(table io.Reader, ip netip.Addr) (bits int, found bool) {
	const rtfUp = 0x1
	sc := bufio.NewScanner(table)
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		dst, err1 := procAddr(f[1])
		mask, err2 := procAddr(f[7])
		flags, err3 := strconv.ParseUint(f[3], 16, 32)
		if err1 != nil || err2 != nil || err3 != nil || flags&rtfUp == 0 {
			continue
		}
		ones, _ := net.IPMask(mask.AsSlice()).Size()
		p, err := dst.Prefix(ones)
		if err != nil || !p.Contains(ip) {
			continue
		}
		if !found || ones > bits {
			bits, found = ones, true
		}
	}
	return bits, found
}

// procAddr decodes an address of /proc/net/route: the kernel prints the network-order
// 32-bit value as a number in hex, so its digits come in the host's byte order.
func procAddr(s string) (netip.Addr, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return netip.Addr{}, errors.New("not an address")
	}
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], binary.NativeEndian.Uint32(b))
	return netip.AddrFrom4(a), nil
}
