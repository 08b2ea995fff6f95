// Package modulestests tests the cross-host Nix modules (modules/ssh.nix, vpn.nix,
// dns.nix) through nix-instantiate:
//
//   - bad/*.nix: malformed deployments, each with the option path, file and message its
//     error must carry (header format: package nix-modules/tests), among them host
//     modules that override what a grant or a VPN put into a host's configuration;
//   - property tests over randomly generated networks (seeded, so reproducible): every
//     grant yields exactly the expected authorized key and known-hosts entries, every VPN
//     member's peers match the topology, every record lands in exactly one zone file;
//   - the SOA serial rule across simulated deployments;
//   - BenchmarkCross: a 200-node network with an SSH mesh, a VPN and DNS, and its growth.
//
// Generated networks are written as JSON and evaluated by testdata/from-json.nix.
package modulestests
