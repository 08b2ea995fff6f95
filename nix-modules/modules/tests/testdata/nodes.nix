# Three nodes and their SSH host keys, shared by the bad-input fixtures (bad/*.nix) so
# that each fixture shows only what it gets wrong.
{
  nodes.gateway.host = "root@198.18.0.11";
  nodes.web.host = "root@198.18.0.12";
  nodes.db.host = "root@198.18.0.13";
  ssh.access.db.hostKeys.ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPf3e5EQguws4ETtHNJ7tIJsoQ2WenkJAgBwn10NH2bl";
}
