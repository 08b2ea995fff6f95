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

// ScanHostKey reads the host key a node offers for the given algorithms, as ssh-keyscan
// does, but reaching it as every other command does: ssh_config's HostName, Port and
// ProxyJump and the node's sshOptions apply (jump hosts are logged in to, with their host
// keys checked; the node itself is not: nothing is authenticated or run there). It
// returns the key and the address it came from.
func ScanHostKey(ctx context.Context, o SSHOptions, t Target, algorithms []string) (ssh.PublicKey, string, error) {
	d, _, err := newDialer(o, t)
	if err != nil {
		return nil, "", err
	}
	timeout := o.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := d.endpoint.Addr()
	jumps := &Conn{}
	defer jumps.closeJumps()
	var via *ssh.Client
	for _, j := range d.endpoint.ProxyJump {
		je, err := d.jumpEndpoint(j)
		if err != nil {
			return nil, addr, err
		}
		cl, err := d.handshake(hctx, via, je)
		if err != nil {
			return nil, addr, errors.Join(errors.New("jump host "+j), err)
		}
		jumps.jumps = append(jumps.jumps, cl)
		via = cl
	}
	conn, stop, err := dialBounded(hctx, via, addr)
	if err != nil {
		return nil, addr, err
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
		return key, addr, nil
	}
	if err == nil {
		err = errors.New("the host offered no key")
	}
	return nil, addr, err
}
