// Package modulestests tests the cross-host Nix modules (modules/ssh.nix, vpn.nix,
// dns.nix) through nix-instantiate, together with their Go counterpart, crossmodules:
//
//   - bad/*.nix: malformed deployments, each with the option path and message its error
//     must carry (header format: package nix-modules/tests); where the plan could exist
//     (no type error), the Go checks must report the same option path as the Nix side;
//   - property tests over randomly generated networks (seeded, so reproducible): every
//     grant yields exactly the expected authorized key and known-hosts entries, every VPN
//     member's peers match the topology, every record lands in exactly one zone file;
//   - the SOA serial rule across simulated deployments;
//   - BenchmarkCross: a 200-node network with an SSH mesh, a VPN and DNS, and its growth.
//
// Generated networks are written as JSON and evaluated by testdata/from-json.nix.
package modulestests
