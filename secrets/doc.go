// Package secrets owns nixmesh's secrets: files declared per node in Nix
// (`nodes.<node>.secrets.<name>`, modules/secrets.nix) whose contents come from a command
// or a file on the deploying machine and are put on the host at deploy time, plus the
// collection of WireGuard and SSH host public keys (`nixmesh keys`).
//
// A secret's bytes live only in this process's memory: Fetch runs the source (a command
// without a shell and with stdin closed, or a file read directly) and Upload streams the
// bytes over the Remote's stdin to a fixed shell program (argv to `sh -c`; the secret is
// never in argv, the environment, a file on the deploying machine, the Nix store, an event
// or a log line). On the host that program writes stdin to a temporary file in the target
// directory under umask 077, syncs it, and compares it with the current file using `cmp`:
// equal contents leave the file alone (its mtime too), different ones are chowned,
// chmodded and renamed into place. Change detection therefore needs no hash of the
// secret anywhere, neither in the plan nor on either machine. Status compares the same
// way (`cmp -s - FILE`), for `nixmesh secrets --check`.
//
// The deploy engine drives a host through FetchAll (every secret of the host, so that a
// failing source fails the host before anything on it changes), Bundle.Upload for the
// pre-activation secrets, activation, Bundle.Upload for the post-activation ones, and
// Restart for ToRestart(host, bundle.Changed(), activated). `nixmesh keys` reads the
// deployment's config through inventory.nix (the plan does not evaluate while public keys
// are missing) and writes the keys it collects to Nix files (LoadInventory,
// CollectWireGuard, CollectSSHHostKeys). It reaches hosts through the small Remote
// interface, which deploy.Session (the one SSH transport) implements. This package reads
// the plan from eval and must not import deploy or cmd.
package secrets
