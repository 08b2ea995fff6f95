// Package lab owns nixmesh's local lab: test hosts on this one Linux machine, each in its
// own network, mount, PID, UTS and IPC namespace, with its own /nix (an empty store),
// /etc (a copy of the machine's, made at lab up), /home, /root, /var, /run and /tmp, a
// small reaping init (this package, re-executed from the running binary) and an sshd that
// accepts the lab operator's key for root. Hosts sit on a bridge (nmlab-<name>) in a
// subnet that must not overlap any route of the machine; the operator reaches them from
// the root namespace through the bridge, and nothing is forwarded or NATed anywhere else.
//
// Everything a lab makes is recorded in /run/nixmesh/lab/<name>/state.json before it is
// made, so Down works after a crash and is idempotent; Down removes everything, including
// the host directories under /var/lib/nixmesh-lab/<name>/ (a host's /nix does not survive
// it). The machine's root file system is mounted read-only inside hosts: a host can write
// only its own directories, never the machine's /usr or /etc.
//
// Both `nixmesh lab` and the end-to-end tests of other packages use the API (Up, Open,
// Lab.Down, Lab.Hosts, Lab.Exec). The package imports nothing of nixmesh except
// internal/command; in particular it never imports eval, crossmodules or deploy.
//
// Any binary that imports this package can serve as a host's init: Up re-executes
// /proc/self/exe with argv[0] "nixmesh-lab-init" and NIXMESH_LAB_INIT set, which this
// package's init function recognises before main (or a test's TestMain) runs.
package lab
