# switch-to-configuration for a standalone host. The line above this one, written when
# the toplevel is built, sets `system` to this toplevel's store path.
#
#   switch        activate now, then make this system the default (the system profile)
#   test          activate now only
#   boot          make this system the default only (standalone hosts have no boot loader:
#                 the profile is what the next activation after a reboot starts from)
#   dry-activate  print what `test` would change, and change nothing
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/nix/var/nix/profiles/default/bin${PATH:+:$PATH}
profile=${NIXMESH_SYSTEM_PROFILE:-/nix/var/nix/profiles/system}

usage() {
  printf 'usage: %s switch|test|boot|dry-activate\n' "$0" >&2
  exit 2
}

set_profile() {
  local out
  # Already there (the switcher sets the profile itself before `boot`): nothing to do.
  if [[ "$(readlink -e -- "$profile" 2>/dev/null)" == "$system" ]]; then
    printf 'system profile %s -> %s (already)\n' "$profile" "$system"
    return 0
  fi
  command -v nix-env >/dev/null 2>&1 || { echo "switch-to-configuration: nix-env is not on PATH; cannot set $profile" >&2; exit 1; }
  mkdir -p -- "$(dirname -- "$profile")"
  out=$(nix-env -p "$profile" --set "$system" 2>&1) || {
    printf 'switch-to-configuration: cannot set the system profile %s to %s: %s\n' "$profile" "$system" "$out" >&2
    exit 1
  }
  printf 'system profile %s -> %s\n' "$profile" "$system"
}

(($# == 1)) || usage
case "$1" in
  switch) "$system/activate" && set_profile ;;
  test) exec "$system/activate" ;;
  boot) set_profile ;;
  dry-activate) exec "$system/activate" --dry-run ;;
  *) usage ;;
esac
