# The framework modules that every deployment includes (see docs/internals.md, Layout).
# The cross-host features (ssh, vpn, dns) are appended here as they land.
[
  ./nodes.nix
  ./plan.nix
  ./deploy.nix
  ./ssh.nix
  ./vpn.nix
  ./dns.nix
  ./secrets.nix
  ./health.nix
  ./lockout.nix
]
