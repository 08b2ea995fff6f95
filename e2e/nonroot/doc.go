// Package nonroot proves that nixmesh deploys through a node's privilegeEscalationCommand
// when its SSH user is not root, with both front doors (`nixmesh deploy` and the
// generated `nix-build deploy.nix && ./result`): on a local lab host it creates the user
// `deploy` with `sudo -n` rights, deploys testdata/deploy.nix to `deploy@<host>` (the
// closure lands in root's single-user store, the switch is confirmed, a secret is owned
// by root), and then deploys a variant that locks `deploy` out, which the host must roll
// back by itself.
//
// Everything here is a test: the package has no code other packages import. It needs
// root, Nix, sudo and the lab's commands; it skips without them, and fails instead
// under NIXMESH_TEST_DISALLOW_SKIP=1 (CI). It imports lab, lab/labtest, internal/command
// and internal/testutil, never e2e's unexported helpers.
package nonroot
