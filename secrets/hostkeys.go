package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

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
	// Scan reads the host key a node offers for the given algorithms and judges it by the
	// one trust policy of the SSH transport (known_hosts, the declared host keys, and the
	// vouched keys given: source name -> authorized_keys line). It returns the key, the
	// address it came from, and what vouches for it ("" for a host nothing knows); a
	// mismatch is an error wrapping ErrHostKeyMismatch. The CLI passes
	// deploy.ScanHostKey.
	Scan  func(ctx context.Context, node string, algorithms []string, vouched map[string]string) (key ssh.PublicKey, addr, vouchedBy string, err error)
	Nodes []string // the nodes to scan
	Types []string // keys of HostKeyTypes; empty: ed25519
	// Existing are the keys already in the output file ({ node = { type = key; }; });
	// they are trusted and kept.
	Existing map[string]map[string]string
	// ExistingName names the output file in messages.
	ExistingName string
	// AcceptNew writes keys that nothing trusted vouches for. A mismatch is never accepted.
	AcceptNew bool
	Log       func(string)
}

// HostKeyError is the failure of one node.
type HostKeyError struct {
	Node string
	Err  error
}

func (e *HostKeyError) Error() string { return fmt.Sprintf("%s: %v", e.Node, e.Err) }
func (e *HostKeyError) Unwrap() error { return e.Err }

// CollectSSHHostKeys scans each node's host keys of the wanted types, has each judged
// against what the operator trusts, and returns Existing plus the verified keys
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
	if o.Scan == nil {
		return o.Existing, errors.New("no way to reach the hosts was given (SSHKeyOptions.Scan)")
	}
	log := o.Log
	if log == nil {
		log = func(string) {}
	}
	fileName := o.ExistingName
	if fileName == "" {
		fileName = "the keys file"
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
		vouched := map[string]string{}
		for t, line := range o.Existing[node] {
			vouched[fileName+" ("+t+")"] = line
		}
		var nodeErrs []error
		for _, t := range types {
			key, addr, why, err := o.Scan(ctx, node, HostKeyTypes[t], vouched)
			if err != nil {
				nodeErrs = append(nodeErrs, fmt.Errorf("%s key from %s: %w", t, addr, err))
				continue
			}
			line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
			switch {
			case why == "" && !o.AcceptNew:
				nodeErrs = append(nodeErrs, fmt.Errorf("%w: %s offers %s, which nothing trusted vouches for (known_hosts, ssh.access.%s.hostKeys, %s); check it out of band, then re-run with --accept-new", ErrHostKeyUnknown, addr, line, node, fileName))
				continue
			case why == "":
				why = "new, accepted (--accept-new)"
			default:
				why = "matches " + why
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

// WriteSSHHostKeys writes the keys file ({ node = { ed25519 = "ssh-ed25519 ..."; }; })
// unless it already holds exactly this; it reports whether it wrote.
func WriteSSHHostKeys(file string, keys map[string]map[string]string) (bool, error) {
	return writeKeyFile(file, []string{
		"SSH host public keys, by node and type; written by `nixmesh keys ssh` after checking",
		"them against known_hosts and the declared keys.",
		"Use: ssh.access.<node>.hostKeys = (import ./ssh-host-keys.nix).<node>;",
	}, keys)
}
