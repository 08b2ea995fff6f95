// Package e2e holds nixmesh's end-to-end proofs and benchmarks: the example deployment
// (examples/lab) deployed to a local lab (package lab) through both front doors, the
// generated `./result` script and `nixmesh deploy`, and checked from inside the hosts:
// SSH access between users as declared, WireGuard between hosts, DNS answers, rollback
// when the deployer loses access, when an activation fails and when the deployer dies,
// and a redeploy that changes nothing touching no host. The benchmarks deploy generated
// fleets of 1, 5 and 20 hosts with both front doors and with a host-after-host baseline
// (nix-copy-closure, then `switch-to-configuration switch` over ssh).
//
// Everything here is a test: the package has no code other packages import. The tests
// need root, Nix and the lab's commands; they skip without them, and fail instead under
// NIXMESH_TEST_DISALLOW_SKIP=1 (CI).
package e2e
