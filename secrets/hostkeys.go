package secrets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/nixmesh/nixmesh/internal/hostkey"
)

// ErrHostKeyMismatch is wrapped when a host offers a key that differs from the one the
// operator trusts for it (known_hosts, the deployment's ssh.access.<node>.hostKeys, or
// the output file): possibly a man in the middle. It is never overridden.
var ErrHostKeyMismatch = hostkey.ErrMismatch

// ErrHostKeyUnknown is wrapped when nothing trusted vouches for a host's key and
// --accept-new was not given.
var ErrHostKeyUnknown = hostkey.ErrUnknown

// HostKeyTypes maps the names used in the key file to the SSH host key algorithms asked
// for, in preference order.
var HostKeyTypes = map[string][]string{
	"ed25519": {ssh.KeyAlgoED25519},
	"ecdsa":   {ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521},
	"rsa":     {ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA},
}

// SSHKeyOptions drive CollectSSHHostKeys.
type SSHKeyOptions struct {
	Inventory *Inventory
	// Scan reads the host key a node offers for the given algorithms, and the address it
	// came from (the CLI: deploy.ScanHostKey, through the one SSH transport).
	Scan  func(ctx context.Context, node string, algorithms []string) (ssh.PublicKey, string, error)
	Nodes []string // the nodes to scan
	Types []string // keys of HostKeyTypes; empty: ed25519
	// Existing are the keys already in the output file ({ node = { type = key; }; });
	// they are trusted and kept.
	Existing map[string]map[string]string
	// KnownHostsFiles are trusted in addition to Existing and the declared host keys;
	// files that do not exist are ignored. Nil: ~/.ssh/known_hosts and
	// /etc/ssh/ssh_known_hosts.
	KnownHostsFiles []string
	// AcceptNew writes keys that nothing trusted vouches for. A mismatch is never accepted.
	AcceptNew bool
	Log       func(string)
}

// DefaultKnownHostsFiles are ssh's default known-hosts files.
func DefaultKnownHostsFiles() []string {
	files := []string{"/etc/ssh/ssh_known_hosts"}
	if h, err := os.UserHomeDir(); err == nil {
		files = append([]string{filepath.Join(h, ".ssh", "known_hosts")}, files...)
	}
	return files
}

// HostKeyError is the failure of one node.
type HostKeyError struct {
	Node string
	Err  error
}

func (e *HostKeyError) Error() string { return fmt.Sprintf("%s: %v", e.Node, e.Err) }
func (e *HostKeyError) Unwrap() error { return e.Err }

// CollectSSHHostKeys scans each node's host keys of the wanted types, checks each against
// what the operator trusts, and returns Existing plus the verified keys
// ("ssh-ed25519 AAAA...", without comment). Failures are joined in err; the other
// nodes' keys are still returned.
func CollectSSHHostKeys(ctx context.Context, o SSHKeyOptions) (map[string]map[string]string, error) {
	types := o.Types
	if len(types) == 0 {
		types = []string{"ed25519"}
	}
	for _, t := range types {
		if _, ok := HostKeyTypes[t]; !ok {
			return o.Existing, fmt.Errorf("unknown host key type %q (known: ed25519, ecdsa, rsa)", t)
		}
	}
	log := o.Log
	if log == nil {
		log = func(string) {}
	}
	files := o.KnownHostsFiles
	if files == nil {
		files = DefaultKnownHostsFiles()
	}
	var existingFiles []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existingFiles = append(existingFiles, f)
		}
	}
	var known ssh.HostKeyCallback
	if len(existingFiles) > 0 {
		cb, err := knownhosts.New(existingFiles...)
		if err != nil {
			return o.Existing, fmt.Errorf("reading known hosts: %w", err)
		}
		known = cb
	}
	found := map[string]map[string]string{}
	var errs []error
	for _, node := range o.Nodes {
		n, ok := o.Inventory.Nodes[node]
		if !ok {
			errs = append(errs, &HostKeyError{Node: node, Err: errors.New("is not a node")})
			continue
		}
		if _, _, _, err := n.Address(); err != nil {
			errs = append(errs, &HostKeyError{Node: node, Err: err})
			continue
		}
		if o.Scan == nil {
			return o.Existing, errors.New("no way to reach the hosts was given (SSHKeyOptions.Scan)")
		}
		var nodeErrs []error
		for _, t := range types {
			key, addr, err := o.Scan(ctx, node, HostKeyTypes[t])
			if err != nil {
				nodeErrs = append(nodeErrs, fmt.Errorf("%s key from %s: %w", t, addr, err))
				continue
			}
			line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
			trusted, why, err := trust(o, known, node, addr, key)
			switch {
			case err != nil:
				nodeErrs = append(nodeErrs, err)
				continue
			case !trusted && !o.AcceptNew:
				nodeErrs = append(nodeErrs, fmt.Errorf("%w: %s offers %s, which nothing trusted vouches for (known_hosts, ssh.access.%s.hostKeys, the keys file); check it out of band, then re-run with --accept-new", ErrHostKeyUnknown, addr, line, node))
				continue
			case !trusted:
				why = "new, accepted (--accept-new)"
			}
			if found[node] == nil {
				found[node] = map[string]string{}
			}
			found[node][t] = line
			log(fmt.Sprintf("%s: %s %s (%s)", node, t, line, why))
		}
		if len(nodeErrs) > 0 {
			errs = append(errs, &HostKeyError{Node: node, Err: errors.Join(nodeErrs...)})
		}
	}
	all, _ := merged(o.Existing, found)
	return all, errors.Join(errs...)
}

// trust decides whether key (offered by node at addr) is vouched for.
// A trusted source holding another key of the same algorithm is a mismatch.
func trust(o SSHKeyOptions, known ssh.HostKeyCallback, node, addr string, key ssh.PublicKey) (bool, string, error) {
	mismatch := func(source, want string) error {
		return fmt.Errorf("%w: %s offers %s, but %s has %s for node %s", ErrHostKeyMismatch, addr,
			strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))), source, want, node)
	}
	check := func(source, line string) (bool, error) {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return false, nil // not a key we can compare; the Nix types check declared keys
		}
		if string(k.Marshal()) == string(key.Marshal()) {
			return true, nil
		}
		if k.Type() == key.Type() {
			return false, mismatch(source, line)
		}
		return false, nil
	}
	trusted, why := false, ""
	for _, src := range []struct {
		name string
		keys map[string]string
	}{{"the keys file", o.Existing[node]}, {"ssh.access." + node + ".hostKeys", o.Inventory.HostKeys[node]}} {
		for _, line := range src.keys {
			ok, err := check(src.name, line)
			if err != nil {
				return false, "", err
			}
			if ok && !trusted {
				trusted, why = true, "matches "+src.name
			}
		}
	}
	if known != nil {
		remote, _ := net.ResolveTCPAddr("tcp", addr)
		err := known(addr, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case err == nil:
			if !trusted {
				trusted, why = true, "matches known_hosts"
			}
		case errors.As(err, &ke) && len(ke.Want) > 0:
			for _, w := range ke.Want {
				if w.Key.Type() == key.Type() {
					return false, "", mismatch(fmt.Sprintf("%s:%d", w.Filename, w.Line), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(w.Key))))
				}
			}
		case errors.As(err, &ke):
		default:
			return false, "", fmt.Errorf("checking known hosts: %w", err)
		}
	}
	return trusted, why, nil
}

// WriteSSHHostKeys writes the keys file ({ node = { ed25519 = "ssh-ed25519 ..."; }; })
// unless it already holds exactly this; it reports whether it wrote.
func WriteSSHHostKeys(file string, keys map[string]map[string]string) (bool, error) {
	return writeKeyFile(file, []string{
		"SSH host public keys, by node and type; written by `nixmesh keys ssh` after checking",
		"them against known_hosts and the declared keys.",
		"Use: ssh.access.<node>.hostKeys = (import ./ssh-host-keys.nix).<node>;",
	}, keys)
}
