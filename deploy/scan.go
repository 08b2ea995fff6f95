package deploy

import (
	"context"
	"errors"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
)

// errGotKey stops a key scan's handshake once the host key is known.
var errGotKey = errors.New("got host key")

// HostKeyScan is what ScanHostKey found.
type HostKeyScan struct {
	Key  ssh.PublicKey
	Addr string // host:port the key came from
	// VouchedBy names what trusts the key under the one trust policy (hostkeys.go):
	// "known_hosts", "ssh.access.<node>.hostKeys" or the Source of a VouchedKey given;
	// "" when nothing knows a key of this type for the host (a new host).
	VouchedBy string
}

// ScanHostKey reads the host key a node offers for the given algorithms, as ssh-keyscan
// does, but reaching it as every other command does: ssh_config's HostName, Port and
// ProxyJump and the node's sshOptions apply (jump hosts are logged in to, with their host
// keys checked; the node itself is not: nothing is authenticated or run there). The key
// is judged by the same policy as a deploy's handshake (known_hosts, the declared keys,
// and the vouched keys given); a mismatch is an error wrapping ErrHostKeyMismatch, with
// the scan (key and address) still returned.
func ScanHostKey(ctx context.Context, o SSHOptions, t Target, algorithms []string, vouched []VouchedKey) (HostKeyScan, error) {
	scan, err := scanKey(ctx, o, t, algorithms)
	if err != nil {
		return scan, err
	}
	d, _, err := newDialer(o, t)
	if err != nil {
		return scan, err
	}
	hk, err := newHostKeyChecker(o, t.Name, d.endpoint.KnownHosts, vouched)
	if err != nil {
		return scan, err
	}
	hk.alias = d.endpoint.Alias
	scan.VouchedBy, err = hk.judge(scan.Addr, hostPortAddr(scan.Addr), scan.Key)
	return scan, err
}

// scanKey reads the key without judging it.
func scanKey(ctx context.Context, o SSHOptions, t Target, algorithms []string) (HostKeyScan, error) {
	d, _, err := newDialer(o, t)
	if err != nil {
		return HostKeyScan{}, err
	}
	timeout := durationOr(d.endpoint.ConnectTimeout, durationOr(o.ConnectTimeout, 10*time.Second))
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := d.endpoint.Addr()
	jumps := &Conn{}
	defer jumps.closeJumps()
	var via *ssh.Client
	for _, j := range d.endpoint.ProxyJump {
		je, err := d.jumpEndpoint(j)
		if err != nil {
			return HostKeyScan{Addr: addr}, err
		}
		cl, err := d.handshake(hctx, via, je)
		if err != nil {
			return HostKeyScan{Addr: addr}, errors.Join(errors.New("jump host "+j), err)
		}
		jumps.jumps = append(jumps.jumps, cl)
		via = cl
	}
	conn, stop, err := dialBounded(hctx, via, addr)
	if err != nil {
		return HostKeyScan{Addr: addr}, err
	}
	defer conn.Close()
	defer stop()
	var key ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User:              "nixmesh-keyscan",
		HostKeyAlgorithms: algorithms,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			key = k
			return errGotKey
		},
		Timeout: timeout,
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err == nil {
		go ssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				_ = ch.Reject(ssh.Prohibited, "")
			}
		}()
		c.Close()
	}
	if key != nil {
		return HostKeyScan{Key: key, Addr: addr}, nil
	}
	if err == nil {
		err = errors.New("the host offered no key")
	}
	return HostKeyScan{Addr: addr}, err
}
