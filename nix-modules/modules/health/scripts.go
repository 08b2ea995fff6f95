// Package health holds the script of the SSH grant health check for Go: Nix reads every
// feature check's script (ssh.sh, wireguard.sh, dns.sh) into the checks it puts in the
// plan (modules/health.nix); `nixmesh verify` (package verify) runs ssh.sh's check of a
// grant itself, embedded here, and probes VPN links and DNS records its own way. One
// copy of each script.
package health

import _ "embed"

// SSHScript checks that a user exists and sshd reads the given keys for it.
//
//go:embed ssh.sh
var SSHScript string
