// Package health holds the scripts of the cross-host features' health checks: Nix reads
// them into the checks it puts in the plan (modules/health.nix), Go embeds them for
// `nixmesh verify` (package verify). One copy each.
package health

import _ "embed"

// SSHScript checks that a user exists and sshd reads the given keys for it.
//
//go:embed ssh.sh
var SSHScript string

// WireGuardScript checks that a WireGuard interface has a peer that handshook lately.
//
//go:embed wireguard.sh
var WireGuardScript string

// DNSScript checks that a server answers a zone's SOA with a serial.
//
//go:embed dns.sh
var DNSScript string
