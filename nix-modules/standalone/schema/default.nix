# The standalone host schema: the NixOS options that nixmesh's cross-host modules set
# (NIXOS-SUBSET.md), with NixOS's names, types, defaults and descriptions, plus the few a
# NixOS user expects beside them. Everything else is accepted freeform (see system.nix)
# and reported by `switch-to-configuration dry-activate` as not applied.
[
  ./system.nix
  ./networking.nix
  ./users.nix
  ./ssh.nix
  ./wireguard.nix
  ./firewall.nix
  ./nsd.nix
  ./etc.nix
  ./boot.nix
  ./checks.nix
  # What `ip'/`wg' and ssh would refuse, checked on every kind of host (nix-modules adds
  # it to NixOS hosts too; the module system imports it once).
  ../../modules/host/wireguard.nix
]
