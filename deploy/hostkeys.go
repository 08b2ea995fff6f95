package deploy

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The one host-key trust policy, for every command that reaches a host: deploy and the
// commands built on Session check the key during the handshake; `nixmesh keys ssh`
// judges the keys it scans (ScanHostKey) with the same rules.
//
// A key is trusted when a known_hosts file holds it for the host, the plan declares it
// (ssh.access.<node>.hostKeys), or another source the caller names vouches for it (the
// keys file of `keys ssh`). A trusted source that holds a different key of the same type
// for the host makes it a mismatch (possibly a man in the middle), which nothing
// overrides. A host nothing knows is new: refused unless the caller accepts new keys.

// VouchedKey is a host key some source trusts, as an authorized_keys line.
type VouchedKey struct {
	Line   string
	Source string // named in messages: "ssh.access.web.hostKeys", "ssh-host-keys.nix"
}

type vouchedKey struct {
	key    ssh.PublicKey
	source string
}

// hostKeyChecker applies the trust policy to one host.
type hostKeyChecker struct {
	vouched   []vouchedKey
	db        ssh.HostKeyCallback // nil when no known_hosts file exists
	acceptNew bool
	writeTo   string // where an accepted new key is appended
	alias     string // the name the user knows the host by, written with the new key
	verified  bool   // set once a key was accepted: later failures are not key failures
}

var knownHostsMu sync.Mutex // serialises appends to known_hosts across parallel hosts

func newHostKeyChecker(o SSHOptions, node string, knownHostsFiles []string, extra []VouchedKey) (*hostKeyChecker, error) {
	c := &hostKeyChecker{acceptNew: o.AcceptNewHostKeys, writeTo: o.userKnownHosts()}
	lines := make([]VouchedKey, 0, len(o.DeclaredHostKeys[node])+len(extra))
	for _, line := range o.DeclaredHostKeys[node] {
		lines = append(lines, VouchedKey{Line: line, Source: "ssh.access." + node + ".hostKeys"})
	}
	for _, v := range append(lines, extra...) {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(v.Line))
		if err != nil {
			return nil, fmt.Errorf("host key for %s in %s: %w", node, v.Source, err)
		}
		c.vouched = append(c.vouched, vouchedKey{key: k, source: v.Source})
	}
	var files []string
	for _, f := range knownHostsFiles {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	if len(files) > 0 {
		knownHostsMu.Lock()
		db, err := knownhosts.New(files...)
		knownHostsMu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("reading known hosts: %w", err)
		}
		c.db = db
	}
	return c, nil
}

type hostPortAddr string

func (a hostPortAddr) Network() string { return "tcp" }
func (a hostPortAddr) String() string  { return string(a) }

var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	k, _ := ssh.NewPublicKey(pub)
	return k
})

// knownKeys lists the keys trusted for addr (vouched for and from known_hosts).
func (c *hostKeyChecker) knownKeys(addr string) []ssh.PublicKey {
	var keys []ssh.PublicKey
	for _, v := range c.vouched {
		keys = append(keys, v.key)
	}
	if c.db != nil {
		var ke *knownhosts.KeyError
		if err := c.db(addr, hostPortAddr(addr), probeKey()); errors.As(err, &ke) {
			for _, w := range ke.Want {
				keys = append(keys, w.Key)
			}
		}
	}
	return keys
}

// algorithms restricts the negotiation to the key types already known for the host, so
// a host with an ed25519 and an RSA key is not reported as a mismatch because the other
// type happened to be negotiated.
func (c *hostKeyChecker) algorithms(addr string) []string {
	var algos []string
	for _, k := range c.knownKeys(addr) {
		switch k.Type() {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, k.Type())
		}
	}
	return dedupe(algos)
}

// judge applies the policy: the source that vouches for key, or a mismatch (or revoked)
// error, or ("", nil) when nothing knows a key of this type for the host. Every trusted
// source must agree: a declared or vouched key of this type that differs is a mismatch
// even when known_hosts holds the presented key, and so is a known_hosts file whose
// entries of this type for the host all differ (several entries may stand for one host,
// as in OpenSSH: one matching is enough).
func (c *hostKeyChecker) judge(hostname string, remote net.Addr, key ssh.PublicKey) (string, error) {
	source := ""
	var others []string // disagreeing trusted keys of this type, with their sources
	var vouchedOthers []string
	for _, v := range c.vouched {
		switch {
		case keysEqual(v.key, key):
			if source == "" {
				source = v.source
			}
		case v.key.Type() == key.Type():
			vouchedOthers = append(vouchedOthers, v.source+" has "+ssh.FingerprintSHA256(v.key))
		}
	}
	if source == "" {
		others = vouchedOthers
	}
	if c.db != nil {
		err := c.db(hostname, remote, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case err == nil:
			if source == "" && len(others) == 0 {
				source = "known_hosts"
			}
		case errors.As(err, &re):
			return "", fmt.Errorf("%w: %s key %s is revoked (%s:%d)", ErrHostKeyMismatch, key.Type(), ssh.FingerprintSHA256(key), re.Revoked.Filename, re.Revoked.Line)
		case errors.As(err, &ke):
			for _, w := range ke.Want {
				if w.Key.Type() == key.Type() {
					others = append(others, fmt.Sprintf("%s:%d has %s", w.Filename, w.Line, ssh.FingerprintSHA256(w.Key)))
				}
			}
		default:
			return "", fmt.Errorf("checking known hosts: %w", err)
		}
	}
	if len(others) > 0 {
		return "", fmt.Errorf("%w: %s presented %s key %s, but %s; if the host was reinstalled, remove its old entry (ssh-keygen -R %s) or update the declared key",
			ErrHostKeyMismatch, hostname, key.Type(), ssh.FingerprintSHA256(key), strings.Join(others, ", "), c.alias)
	}
	return source, nil
}

// check is the handshake's HostKeyCallback: the policy, and for a new host either a
// refusal or (accepting new keys) an entry appended to ~/.ssh/known_hosts.
func (c *hostKeyChecker) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	source, err := c.judge(hostname, remote, key)
	if err != nil {
		return err
	}
	if source != "" {
		c.verified = true
		return nil
	}
	if !c.acceptNew {
		return fmt.Errorf("%w: %s presented %s key %s; verify it and add it to %s, declare it in the plan, or pass --accept-new-host-keys",
			ErrHostKeyUnknown, hostname, key.Type(), ssh.FingerprintSHA256(key), c.writeTo)
	}
	if err := appendKnownHost(c.writeTo, []string{knownhosts.Normalize(hostname)}, key); err != nil {
		return fmt.Errorf("accepting new host key: %w", err)
	}
	c.verified = true
	return nil
}

func keysEqual(a, b ssh.PublicKey) bool {
	return a.Type() == b.Type() && string(a.Marshal()) == string(b.Marshal())
}
