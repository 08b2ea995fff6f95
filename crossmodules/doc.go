// Package crossmodules owns the Go side of nixmesh's cross-host features (SSH access,
// VPNs, DNS): typed models decoded from an evaluated plan (plan.network.{ssh,vpn,dns}
// and each node's configuration), Check, which repeats the Nix modules' important checks
// and verifies that every host's configuration carries what the features put there, the
// topology graph (DOT, Mermaid) and the DNS serial state file. It reads eval's types and
// must not import deploy: data flows from eval to here to the CLI, never back.
package crossmodules
