// Package deploy is nixmesh's deploy engine (front door 2): it owns the SSH connections to
// the hosts (ssh_config, agent and identity files, host key verification against known_hosts
// and the keys declared in the plan), the copy of each system closure over that connection,
// the client side of the remote switcher protocol (start, status, confirm over a new
// connection, log), the bounded parallel runner that walks every host through its phases
// (connect → check → fetch secrets → copy → upload secrets → activate → confirm →
// post-activation secrets and restarts), and the events and report it produces. Every
// command that changes a host goes through one helper, so a dry run prints exactly what
// would be done. Secrets are fetched and delivered with package secrets, over the host's
// own connection. It builds on internal/command, eval and secrets and must not import cmd
// or crossmodules.
package deploy
