// Package hostkey holds the host key verdicts shared by every command that meets a host's
// SSH key (deploy's connections, `keys ssh`): one pair of errors, matched with errors.Is
// wherever they come from.
package hostkey

import "errors"

var (
	// ErrUnknown: nothing trusted (known_hosts, the declared ssh.access.<node>.hostKeys,
	// a keys file) vouches for the key the host offers, and new keys were not accepted.
	ErrUnknown = errors.New("host key unknown")
	// ErrMismatch: a trusted source has another key of the same type for the host:
	// possibly a man in the middle. Never accepted, not even with --accept-new.
	ErrMismatch = errors.New("host key mismatch")
)
