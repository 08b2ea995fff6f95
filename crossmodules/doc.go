// Package crossmodules owns the Go side of nixmesh's cross-host features (SSH access,
// VPNs, DNS): typed models decoded from an evaluated plan (plan.network.{ssh,vpn,dns}
// and each node's configuration), the topology graph (DOT, Mermaid) and the DNS serial
// state file. It checks nothing: every cross-host check is the Nix modules' (they name the
// definition's file), including that every host's final configuration still carries what
// the features put there. It reads eval's types and
// must not import deploy: data flows from eval to here to the CLI, never back.
package crossmodules
